/**
 * A start that cannot succeed exits non-zero with a one-line reason and
 * leaves nothing running: a gateway whose NATS has no JetStream (so the
 * stream cannot be set up) ends instead of staying alive on its connection.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from '../../../src/stream/free-port';
import { findNatsServer } from '../../../src/stream/nats-server-process';
import { startCli } from '../../helpers/cli-process';
import { waitFor } from '../../helpers/wait';

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

it('ends a gateway whose stream cannot be set up, with a one-line reason', async () => {
  const port = await freePort();
  const plain = spawn(findNatsServer() as string, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  try {
    await waitFor('nats-server without JetStream to listen', () => listening(port));
    const gateway = startCli(['gateway'], {
      NATS_URL: `nats://127.0.0.1:${port}`,
      TRIBUTARY_GRPC_ADDR: `127.0.0.1:${await freePort()}`,
      TRIBUTARY_HTTP_ADDR: `127.0.0.1:${await freePort()}`,
      TRIBUTARY_API_KEYS: 'failed-start-key-0123456789=test',
      TRIBUTARY_LOG_LEVEL: 'silent',
    });
    const code = await Promise.race([gateway.exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 20_000))]);
    gateway.child.kill('SIGKILL');
    expect(code).toBe(1);
    const lines = gateway.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tributary: \w+: .*jetstream/i);
  } finally {
    plain.kill('SIGKILL');
  }
});
