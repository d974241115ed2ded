/**
 * One nats-server per data folder, ever: a second serve on a folder in use
 * refuses with a clear message, and the nats-server left running by a serve
 * killed with SIGKILL is found and stopped by the next serve on the folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../helpers/free-port';
import { startCli, type CliProcess } from '../../helpers/cli-process';
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

/** Starts serve on the test's data folder and fresh ports; returns it with its HTTP port. */
async function serve(): Promise<{ served: CliProcess; httpPort: number }> {
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const served = startCli(['serve'], { TRIBUTARY_DATA_DIR: dataDir, TRIBUTARY_GRPC_ADDR: `127.0.0.1:${grpcPort}`, TRIBUTARY_HTTP_ADDR: `127.0.0.1:${httpPort}`, TRIBUTARY_LOG_LEVEL: 'warn' }, true);
  started.push(served);
  return { served, httpPort };
}

const natsOnTheStore = () => processesWith(join(dataDir, 'nats'));

it('refuses a second serve on a data folder in use, and stops the nats-server a killed serve left behind', async () => {
  const first = await serve();
  await waitReady(first.httpPort);
  expect(natsOnTheStore()).toHaveLength(1);

  const second = await serve();
  expect(await second.served.exited).toBe(1);
  expect(second.served.output()).toContain(`the data folder ${dataDir} is in use by tributary serve (pid ${first.served.child.pid})`);
  expect(natsOnTheStore()).toHaveLength(1);

  first.served.child.kill('SIGKILL');
  expect(await first.served.exited).toBe('SIGKILL');
  const [orphan] = natsOnTheStore();
  expect(orphan).toBeDefined();

  const third = await serve();
  await waitReady(third.httpPort);
  await waitFor('the orphan to be gone', () => (natsOnTheStore().includes(orphan) ? undefined : true));
  expect(natsOnTheStore()).toHaveLength(1);

  third.served.child.kill('SIGTERM');
  expect(await third.served.exited).toBe(0);
  expect(natsOnTheStore()).toHaveLength(0);
});
