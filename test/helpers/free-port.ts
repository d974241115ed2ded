/**
 * Finds a free TCP port on the loopback interface, for a test whose child
 * server's port must be known before it starts (a cluster's routes, a
 * process restarted in place on its port); wherever a process can bind port
 * 0 and say which port it took, the helpers use that instead (nats-server,
 * serve). The port is drawn at random below Linux's ephemeral range
 * (32768–60999), where the kernel takes the local ports of outgoing
 * connections: a port handed out from that range could be taken by any
 * process's next connection before the child binds it.
 */
import { createServer } from 'node:net';

const LOWEST = 10_000;
const HIGHEST = 32_767;
const ATTEMPTS = 100;

/** Whether `port` can be bound on 127.0.0.1 now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port that was free a moment ago on 127.0.0.1, outside the range outgoing connections take theirs from. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST + 1));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port between ${LOWEST} and ${HIGHEST} after ${ATTEMPTS} tries`);
}
