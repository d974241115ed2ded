/**
 * One nats-server per data folder, ever: a second serve on a folder in use
 * refuses with a clear message, and the nats-server left running by a serve
 * killed with SIGKILL is found and stopped by the next serve on the folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANY_PORTS, listeningPorts, startCli, type CliProcess } from '../../helpers/cli-process';
import { processesWith } from '../../helpers/processes';
import { waitReady } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(120_000);
let dataDir: string;
const started: CliProcess[] = [];
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'tributary-data-dir-'));
});
afterAll(() => {
  for (const served of started) served.child.kill('SIGKILL');
  for (const pid of processesWith(join(dataDir, 'nats'))) process.kill(pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts serve on the test's data folder, on ports it picks. */
function serve(): CliProcess {
  const served = startCli(['serve'], { TRIBUTARY_DATA_DIR: dataDir, ...ANY_PORTS }, true);
  started.push(served);
  return served;
}

/** Waits until `served` is ready on the HTTP port it took. */
const ready = async (served: CliProcess) => waitReady((await listeningPorts(served, true)).http);

const natsOnTheStore = () => processesWith(join(dataDir, 'nats'));

it('refuses a second serve on a data folder in use, and stops the nats-server a killed serve left behind', async () => {
  const first = serve();
  await ready(first);
  expect(natsOnTheStore()).toHaveLength(1);

  const second = serve();
  expect(await second.exited).toBe(1);
  expect(second.output()).toContain(`the data folder ${dataDir} is in use by tributary serve (pid ${first.child.pid})`);
  expect(natsOnTheStore()).toHaveLength(1);

  first.child.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');
  const [orphan] = natsOnTheStore();
  expect(orphan).toBeDefined();

  const third = serve();
  await ready(third);
  await waitFor('the orphan to be gone', () => (natsOnTheStore().includes(orphan) ? undefined : true));
  expect(natsOnTheStore()).toHaveLength(1);

  third.child.kill('SIGTERM');
  expect(await third.exited).toBe(0);
  expect(natsOnTheStore()).toHaveLength(0);
});
