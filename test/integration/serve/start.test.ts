/**
 * Starts that wait, or fail cleanly: a gateway started before its NATS
 * waits, says in /readyz what it waits for, and serves once NATS is there;
 * one told to stop while it waits ends at once; one whose stream cannot be
 * set up within TRIBUTARY_START_TIMEOUT exits 1 with a one-line reason and
 * leaves nothing running.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from '../../helpers/free-port';
import { findNatsServer } from '../../../src/serve/nats-server-process';
import { startCli, type CliProcess } from '../../helpers/cli-process';
import { NatsServer } from '../../helpers/nats-server';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(60_000);
const KEY = 'start-test-key-0123456789';

/** Whether something accepts TCP connections on `port`: true, or undefined to wait on. */
const listening = (port: number) =>
  new Promise<true | undefined>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(undefined));
  });

/** A gateway process against NATS on `natsPort`, and its HTTP port. */
async function gateway(natsPort: number, env: NodeJS.ProcessEnv = {}): Promise<{ process: CliProcess; httpPort: number; grpcPort: number }> {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const process = startCli(['gateway'], {
    NATS_URL: `nats://127.0.0.1:${natsPort}`,
    TRIBUTARY_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
    TRIBUTARY_HTTP_ADDR: `127.0.0.1:${httpPort}`,
    TRIBUTARY_API_KEYS: `${KEY}=test`,
    TRIBUTARY_LOG_LEVEL: 'silent',
    ...env,
  });
  return { process, httpPort, grpcPort };
}

/** The /readyz answer: its status and the gateway's check. */
async function readyz(httpPort: number): Promise<{ status: number; gateway: unknown } | undefined> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined);
  if (response === undefined) return undefined;
  const body = (await response.json()) as { checks: { gateway: unknown } };
  return { status: response.status, gateway: body.checks.gateway };
}

/** Resolves with the exit code, or "still running" after `ms`. */
const exitWithin = (process: CliProcess, ms: number) => Promise.race([process.exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), ms))]);

it('waits for a NATS that is not there yet, says so in /readyz, and serves once it comes', async () => {
  const natsPort = await freePort();
  const started = await gateway(natsPort);
  let nats: NatsServer | undefined;
  try {
    const waiting = await waitFor('/readyz to say what the gateway waits for', async () => {
      const answer = await readyz(started.httpPort);
      return typeof answer?.gateway === 'string' && answer.gateway.includes('waiting for NATS') ? answer : undefined;
    });
    expect(waiting.status).toBe(503);
    expect(waiting.gateway).toMatch(new RegExp(`^starting: waiting for NATS at nats://127\\.0\\.0\\.1:${natsPort}: `));
    nats = await NatsServer.start(natsPort);
    await waitFor('the gateway to be ready', async () => ((await readyz(started.httpPort))?.status === 200 ? true : undefined), 30_000);
    expect(await listening(started.grpcPort)).toBe(true);
  } finally {
    started.process.child.kill('SIGTERM');
    expect(await exitWithin(started.process, 20_000)).toBe(0);
    await nats?.stop();
  }
});

it('ends at once, cleanly, when told to stop while it waits', async () => {
  const started = await gateway(await freePort());
  await waitFor('/readyz to answer', () => readyz(started.httpPort));
  const signalled = Date.now();
  started.process.child.kill('SIGTERM');
  expect(await exitWithin(started.process, 10_000)).toBe(0);
  expect(Date.now() - signalled).toBeLessThan(10_000);
});

it('ends a gateway whose stream cannot be set up in time, with a one-line reason', async () => {
  const port = await freePort();
  const plain = spawn(findNatsServer() as string, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  try {
    await waitFor('nats-server without JetStream to listen', () => listening(port));
    const started = await gateway(port, { TRIBUTARY_START_TIMEOUT: '3s' });
    const code = await exitWithin(started.process, 20_000);
    started.process.child.kill('SIGKILL');
    expect(code).toBe(1);
    const lines = started.process.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tributary could not start: the streams "tributary" and "tributary_accounting": .*jetstream.* \(waited \ds\)$/i);
  } finally {
    plain.kill('SIGKILL');
  }
});
