/**
 * Shutdown is bounded: Ctrl-C (SIGINT to the whole process group, so the
 * embedded nats-server gets it too) stops `tributary serve` at the first
 * signal, and leaves no nats-server behind; a gateway whose NATS is gone
 * stops on SIGTERM instead of waiting for it forever.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../src/stream/free-port';
import { startCli, type CliProcess } from '../../helpers/cli-process';
import { NatsServer } from '../../helpers/nats-server';
import { processesWith } from '../../helpers/processes';
import { waitReady } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(90_000);
const SHUTDOWN_TIMEOUT_S = 2;

/** The exit code of `served`, which must come within the shutdown timeout and a margin of the signal. */
async function exitWithin(served: CliProcess): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running ${SHUTDOWN_TIMEOUT_S + 10}s after the signal: ${served.output()}`)), (SHUTDOWN_TIMEOUT_S + 10) * 1000)));
  try {
    return await Promise.race([served.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

it('stops serve at the first Ctrl-C, its nats-server with it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-ctrl-c-'));
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const served = startCli(
    ['serve'],
    { TRIBUTARY_DATA_DIR: dataDir, TRIBUTARY_GRPC_ADDR: `127.0.0.1:${grpcPort}`, TRIBUTARY_HTTP_ADDR: `127.0.0.1:${httpPort}`, TRIBUTARY_LOG_LEVEL: 'warn', TRIBUTARY_SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_S}s` },
    true,
  );
  try {
    await waitReady(httpPort);
    expect(processesWith(join(dataDir, 'nats'))).toHaveLength(1);
    process.kill(-(served.child.pid as number), 'SIGINT');
    expect(await exitWithin(served)).toBe(0);
    expect(served.output()).not.toMatch(/starting it again/);
    await waitFor('no nats-server left on the store', () => (processesWith(join(dataDir, 'nats')).length === 0 ? true : undefined));
  } finally {
    served.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it('stops a gateway whose NATS is gone on SIGTERM', async () => {
  const nats = await NatsServer.start();
  const httpPort = await freePort();
  const gateway = startCli(['gateway'], {
    NATS_URL: nats.url,
    TRIBUTARY_GRPC_ADDR: `127.0.0.1:${await freePort()}`,
    TRIBUTARY_HTTP_ADDR: `127.0.0.1:${httpPort}`,
    TRIBUTARY_API_KEYS: 'shutdown-test-key-0123456789=test',
    TRIBUTARY_LOG_LEVEL: 'warn',
    TRIBUTARY_SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_S}s`,
  });
  try {
    await waitReady(httpPort);
    await nats.stop();
    await waitFor('the gateway to see NATS gone', async () => ((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status === 503 ? true : undefined));
    gateway.child.kill('SIGTERM');
    expect(await exitWithin(gateway)).toBe(0);
  } finally {
    gateway.child.kill('SIGKILL');
    await nats.stop();
  }
});
