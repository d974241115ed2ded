/**
 * NATS over TLS, with certificates made at test time, on a real nats-server:
 * a link that names the CA connects over TLS; one that does not trust the CA
 * is refused; a server that verifies clients refuses a link without a client
 * certificate and takes one with it (mutual TLS), as NATS_TLS_* configure.
 */
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../../src/config/load';
import { NatsLink } from '../../../src/stream/connection';
import { natsAccess } from '../../../src/stream/nats-access';
import { findNatsServer, NatsServerProcess } from '../../../src/serve/nats-server-process';
import { makeCertificates, type TestCertificates } from '../../helpers/certificates';

jest.setTimeout(60_000);
let certs: TestCertificates;
const servers: NatsServerProcess[] = [];
const silent = pino({ level: 'silent' });

beforeAll(() => {
  certs = makeCertificates();
});
afterAll(async () => {
  for (const server of servers) await server.pause();
  certs.remove();
});

/** Starts a nats-server with TLS (and client verification when `verifyClients`). */
async function tlsServer(verifyClients: boolean): Promise<NatsServerProcess> {
  const args = ['--tls', '--tlscert', certs.serverCert, '--tlskey', certs.serverKey, ...(verifyClients ? ['--tlsverify', '--tlscacert', certs.caCert] : [])];
  const server = new NatsServerProcess(0, join(certs.dir, `store-${servers.length}`), findNatsServer() ?? 'nats-server', 20_000, args);
  servers.push(server);
  await server.resume();
  return server;
}

/** What opening a link to `server` with the NATS_* settings in `env` gives: "connected", or the refusal. */
async function open(server: NatsServerProcess, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const link = await NatsLink.open(`tls://127.0.0.1:${server.port}`, 'gateway', silent, natsAccess(loadConfig(env)));
    await link.drain();
    return 'connected';
  } catch (error) {
    return (error as Error).message;
  }
}

it('connects over TLS to a server whose CA it names, and refuses one it does not trust', async () => {
  const server = await tlsServer(false);
  expect(await open(server, { NATS_TLS_CA_FILE: certs.caCert })).toBe('connected');
  expect(await open(server, {})).not.toBe('connected');
});

it('presents its client certificate to a server that verifies clients', async () => {
  const server = await tlsServer(true);
  expect(await open(server, { NATS_TLS_CA_FILE: certs.caCert })).not.toBe('connected');
  expect(await open(server, { NATS_TLS_CA_FILE: certs.caCert, NATS_TLS_CERT_FILE: certs.clientCert, NATS_TLS_KEY_FILE: certs.clientKey })).toBe('connected');
});
