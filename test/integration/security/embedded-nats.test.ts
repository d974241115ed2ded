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
import { ANY_PORTS, listeningPorts, startCli, type CliProcess } from '../../helpers/cli-process';
import { processesWith } from '../../helpers/processes';
import { waitReady } from '../../helpers/serve-process';

jest.setTimeout(120_000);
let dataDir: string;
let served: CliProcess;
let natsPid: number;
let natsUrl: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tributary-embedded-nats-'));
  served = startCli(['serve'], { TRIBUTARY_DATA_DIR: dataDir, ...ANY_PORTS });
  await waitReady((await listeningPorts(served, true)).http);
  [natsPid] = processesWith(join(dataDir, 'nats'));
  // The port the embedded server picked, as serve logs it.
  natsUrl = /"url":"(nats:\/\/[^"]+)"[^\n]*"msg":"embedded nats-server started"/.exec(served.output())?.[1] ?? 'no url logged';
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
