/**
 * The security suite's NATS probe, against a real `tributary serve` with its
 * own nats-server: a process that is not serve can neither connect nor
 * publish a forged envelope, with no credentials or with a guessed password;
 * the password lies in a file only its owner reads, never on a command line.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { freePort } from '../../helpers/free-port';
import { startCli, type CliProcess } from '../../helpers/cli-process';
import { processesWith } from '../../helpers/processes';
import { waitReady } from '../../helpers/serve-process';

jest.setTimeout(120_000);
let dataDir: string;
let served: CliProcess;
let natsPid: number;
let natsUrl: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tributary-embedded-nats-'));
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  served = startCli(['serve'], { TRIBUTARY_DATA_DIR: dataDir, TRIBUTARY_GRPC_ADDR: `127.0.0.1:${grpcPort}`, TRIBUTARY_HTTP_ADDR: `127.0.0.1:${httpPort}`, TRIBUTARY_LOG_LEVEL: 'warn' });
  await waitReady(httpPort);
  [natsPid] = processesWith(join(dataDir, 'nats'));
  const args = readFileSync(`/proc/${natsPid}/cmdline`, 'utf8').split('\0');
  natsUrl = `nats://127.0.0.1:${args[args.indexOf('-p') + 1]}`;
});
afterAll(async () => {
  served.child.kill('SIGTERM');
  expect(await served.exited).toBe(0);
  rmSync(dataDir, { recursive: true, force: true });
});

/** What connecting to the embedded nats-server with `options` gives: the server's refusal, or "connected". */
async function tryConnect(options: { user?: string; pass?: string }): Promise<string> {
  try {
    const nc = await connect({ servers: natsUrl, maxReconnectAttempts: 0, ...options });
    nc.publish('tributary.victim-source.event.track', new Uint8Array([1, 2, 3]));
    await nc.flush();
    await nc.close();
    return 'connected';
  } catch (error) {
    return (error as Error).message;
  }
}

it('refuses a client without credentials, and one with a guessed password', async () => {
  expect(await tryConnect({})).toMatch(/Authorization Violation/i);
  expect(await tryConnect({ user: 'tributary', pass: 'guess' })).toMatch(/Authorization Violation/i);
});

it('keeps the password in a file only its owner reads, and off every command line', () => {
  const path = join(dataDir, 'nats-server.conf');
  expect(statSync(path).mode & 0o777).toBe(0o600);
  const password = /password: "([0-9a-f]+)"/.exec(readFileSync(path, 'utf8'))?.[1];
  expect(password).toMatch(/^[0-9a-f]{48}$/);
  expect(readFileSync(`/proc/${natsPid}/cmdline`, 'utf8')).not.toContain(password);
  expect(readFileSync(`/proc/${served.child.pid}/cmdline`, 'utf8')).not.toContain(password);
});
