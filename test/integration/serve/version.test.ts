/** `tributary --version` prints the version of package.json, from the built command as operators run it. */
import { version } from '../../../package.json';
import { startCli } from '../../helpers/cli-process';

it('prints the version and exits 0', async () => {
  const cli = startCli(['--version'], {});
  expect(await cli.exited).toBe(0);
  expect(cli.output().trim()).toBe(version);
});
