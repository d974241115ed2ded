/**
 * A NatsLink leaves no socket behind, against real nats-servers, one of
 * which does not answer (frozen with SIGSTOP: the kernel takes the
 * connection, the server never says INFO): neither when it is drained while
 * the client dials that server, nor when its first connection to it times
 * out. The client library alone leaves those sockets open, and one kept a
 * stopped gateway alive over a slow link (docs/faults.md, "Stopping over a
 * slow link").
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { NatsLink } from '../../../src/stream/connection';
import { NatsServer } from '../../helpers/nats-server';
import { waitFor } from '../../helpers/wait';

/** This process's established TCP connections to `port` (IPv4 and IPv6), from /proc/net. */
function establishedTo(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6']
    .flatMap((file) => readFileSync(file, 'utf8').split('\n').slice(1))
    .map((line) => line.trim().split(/\s+/))
    .filter((columns) => columns.length > 3 && columns[2].endsWith(`:${hexPort}`) && columns[3] === '01').length;
}

let servers: NatsServer[] = [];

beforeEach(async () => {
  servers = [await NatsServer.start(), await NatsServer.start()];
});

afterEach(async () => {
  for (const server of servers) {
    server.thaw();
    await server.stop();
  }
});

it('leaves no socket open when drained while it dials a server that does not answer', async () => {
  const link = await NatsLink.open(servers.map((server) => server.url).join(','), 'link-test', pino({ level: 'silent' }));
  const connected = servers.find((server) => link.nc.getServer().endsWith(`:${server.port}`));
  const silent = servers.find((server) => server !== connected);
  if (connected === undefined || silent === undefined) throw new Error(`connected to ${link.nc.getServer()}, none of the test's servers`);
  silent.freeze();
  await connected.kill();
  // The client now dials the silent server, and the dial waits up to 2 s for an INFO that never comes.
  await waitFor('a dial to the silent server', () => (establishedTo(silent.port) > 0 ? true : undefined), 10_000);
  // A drain given 0.1 s closes the link while that dial waits (a gateway's 5 s drain over a slow link did the same).
  await link.drain(100);
  expect(link.nc.isClosed()).toBe(true);
  await waitFor('the dialed socket to be closed', () => (establishedTo(silent.port) === 0 ? true : undefined), 10_000);
});

it('leaves no socket open when its first connection times out', async () => {
  const [silent] = servers;
  silent.freeze();
  await expect(NatsLink.open(silent.url, 'link-test', pino({ level: 'silent' }))).rejects.toThrow();
  await waitFor('the timed-out socket to be closed', () => (establishedTo(silent.port) === 0 ? true : undefined), 10_000);
});
