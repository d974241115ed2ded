/**
 * Shutdown is bounded in every state: SIGINT or SIGTERM stops a process
 * within the shutdown timeout and a margin, whether its NATS is up, gone or
 * hung, and whether its ClickHouse answers. Ctrl-C (SIGINT to the whole
 * process group, so the embedded nats-server gets it too) stops `tributary
 * serve` at the first signal and leaves no nats-server behind. Each case's
 * time from signal to exit is printed at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../helpers/free-port';
import { startCli, type CliProcess } from '../../helpers/cli-process';
import { NatsServer } from '../../helpers/nats-server';
import { processesWith } from '../../helpers/processes';
import { waitReady } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(90_000);
const SHUTDOWN_TIMEOUT_S = 2;
/** What a stop may take beyond the shutdown timeout: the NATS drain's own bound (5 s) and process exit. */
const MARGIN_S = 8;
const stopTimes: { [state: string]: number } = {};
const dataDirs: string[] = [];
afterAll(() => {
  console.log(`time from signal to exit, ms: ${JSON.stringify(stopTimes)}`);
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** Sends `signal` (to the process group with `group`) and returns the exit code, which must come within the bound; records the time under `state`. */
async function stopIn(state: string, running: CliProcess, signal: NodeJS.Signals, group = false): Promise<number | string> {
  const signalled = Date.now();
  if (group) process.kill(-(running.child.pid as number), signal);
  else running.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>(
    (_, reject) =>
      (timer = setTimeout(() => reject(new Error(`${state}: still running ${SHUTDOWN_TIMEOUT_S + MARGIN_S}s after ${signal}: ${running.output()}`)), (SHUTDOWN_TIMEOUT_S + MARGIN_S) * 1000)),
  );
  try {
    const code = await Promise.race([running.exited, late]);
    stopTimes[state] = Date.now() - signalled;
    return code;
  } finally {
    clearTimeout(timer);
    running.child.kill('SIGKILL');
  }
}

/** Starts `role` on free ports with `env`; resolves with the process and its HTTP port. */
async function start(role: 'gateway' | 'sink' | 'serve', env: NodeJS.ProcessEnv, group = false): Promise<{ running: CliProcess; httpPort: number; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-shutdown-'));
  dataDirs.push(dataDir);
  const httpPort = await freePort();
  const running = startCli(
    [role],
    {
      TRIBUTARY_DATA_DIR: dataDir,
      TRIBUTARY_GRPC_ADDR: `127.0.0.1:${await freePort()}`,
      TRIBUTARY_HTTP_ADDR: `127.0.0.1:${httpPort}`,
      TRIBUTARY_API_KEYS: 'shutdown-test-key-0123456789=test',
      TRIBUTARY_LOG_LEVEL: 'warn',
      TRIBUTARY_SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_S}s`,
      ...env,
    },
    group,
  );
  return { running, httpPort, dataDir };
}

/** Waits until /readyz on `httpPort` answers with `status`. */
const readyzIs = (httpPort: number, status: number) =>
  waitFor(`/readyz to answer ${status}`, async () => ((await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined))?.status === status ? true : undefined), 60_000);

it('stops serve at the first Ctrl-C, its nats-server with it', async () => {
  const { running, httpPort, dataDir } = await start('serve', { TRIBUTARY_API_KEYS: '' }, true);
  await waitReady(httpPort);
  expect(processesWith(join(dataDir, 'nats'))).toHaveLength(1);
  expect(await stopIn('serve, all up, Ctrl-C to the group', running, 'SIGINT', true)).toBe(0);
  expect(running.output()).not.toMatch(/starting it again/);
  await waitFor('no nats-server left on the store', () => (processesWith(join(dataDir, 'nats')).length === 0 ? true : undefined));
});

describe.each(['gateway', 'sink'] as const)('a %s', (role) => {
  it('stops on SIGTERM when its NATS is gone', async () => {
    const nats = await NatsServer.start();
    try {
      const { running, httpPort } = await start(role, { NATS_URL: nats.url });
      await waitReady(httpPort);
      await nats.kill();
      if (role === 'gateway') await readyzIs(httpPort, 503);
      expect(await stopIn(`${role}, NATS gone, SIGTERM`, running, 'SIGTERM')).toBe(0);
    } finally {
      await nats.stop();
    }
  });

  it('stops on SIGINT when its NATS hangs (SIGSTOP)', async () => {
    const nats = await NatsServer.start();
    try {
      const { running, httpPort } = await start(role, { NATS_URL: nats.url });
      await waitReady(httpPort);
      nats.freeze();
      expect(await stopIn(`${role}, NATS hung, SIGINT`, running, 'SIGINT')).toBe(0);
    } finally {
      nats.thaw();
      await nats.stop();
    }
  });
});

it('stops a sink on SIGTERM while it waits for a ClickHouse server that is down', async () => {
  const nats = await NatsServer.start();
  try {
    const { running, httpPort } = await start('sink', { NATS_URL: nats.url, CLICKHOUSE_URL: `http://127.0.0.1:${await freePort()}` });
    await waitFor('/readyz to say the sink waits for ClickHouse', async () => {
      const body = (await fetch(`http://127.0.0.1:${httpPort}/readyz`).then(
        (r) => r.json(),
        () => undefined,
      )) as { checks?: { sink?: unknown } } | undefined;
      return typeof body?.checks?.sink === 'string' && body.checks.sink.startsWith('starting: waiting for ClickHouse at') ? true : undefined;
    });
    expect(await stopIn('sink, ClickHouse down (starting), SIGTERM', running, 'SIGTERM')).toBe(0);
  } finally {
    await nats.stop();
  }
});
