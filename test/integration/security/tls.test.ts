/**
 * TLS on the service's own listeners, against a real `tributary serve` with
 * certificates made at test time: gRPC, HTTPS and gRPC-Web (through the
 * bridge), `tributary send` and the SDK's Node transport over TLS; a plain connection refused; a renewed certificate served
 * without a restart; and mutual TLS, where a client without a certificate
 * signed by the client CA is refused on both ports.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import { createClient } from '../../../sdk/src';
import { IngestRequest, IngestResponse, IngestServiceClient, RecordStatus } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { makeCertificates, type TestCertificates } from '../../helpers/certificates';
import { ANY_PORTS, listeningPorts, startCli, type CliProcess } from '../../helpers/cli-process';
import { NatsServer } from '../../helpers/nats-server';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(120_000);
const apiKey = `tls-api-key-${randomBytes(8).toString('hex')}`;
let nats: NatsServer;
let certs: TestCertificates;
let renewed: TestCertificates;

beforeAll(async () => {
  nats = await NatsServer.start();
  [certs, renewed] = [makeCertificates(), makeCertificates()];
});
afterAll(async () => {
  await nats?.stop();
  certs?.remove();
  renewed?.remove();
});

/** A serve on TLS, its certificate files in a folder of its own (so a test can renew them). */
interface TlsServe {
  readonly process: CliProcess;
  readonly grpc: number;
  readonly http: number;
  readonly dir: string;
}

async function startTlsServe(clientCa: boolean): Promise<TlsServe> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-tls-serve-'));
  copyFileSync(certs.serverCert, join(dir, 'server.crt'));
  copyFileSync(certs.serverKey, join(dir, 'server.key'));
  const process = startCli(['serve'], {
    NATS_URL: nats.url,
    TRIBUTARY_STREAM: `S_${randomBytes(4).toString('hex')}`,
    TRIBUTARY_SUBJECT_PREFIX: `s${randomBytes(4).toString('hex')}`,
    TRIBUTARY_DATA_DIR: join(dir, 'data'),
    ...ANY_PORTS,
    TRIBUTARY_API_KEYS: `${apiKey}=tls`,
    TRIBUTARY_ADMIN_KEY: `tls-admin-key-${randomBytes(8).toString('hex')}`,
    TRIBUTARY_TLS_CERT_FILE: join(dir, 'server.crt'),
    TRIBUTARY_TLS_KEY_FILE: join(dir, 'server.key'),
    ...(clientCa && { TRIBUTARY_TLS_CLIENT_CA_FILE: certs.caCert }),
  });
  const { grpc, http } = await listeningPorts(process, true);
  const served = { process, grpc, http, dir };
  const clientCert = clientCa ? { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) } : {};
  await waitFor(
    'serve to be ready over HTTPS',
    async () => ((await https(served, '/readyz', { ca: readFileSync(certs.caCert), ...clientCert }).catch(() => undefined))?.status === 200 ? true : undefined),
    60_000,
  );
  return served;
}

async function stop(served: TlsServe): Promise<void> {
  served.process.child.kill('SIGTERM');
  expect(await served.process.exited).toBe(0);
  rmSync(served.dir, { recursive: true, force: true });
}

/** A GET (or a POST of `body`) over HTTPS with `tls` (ca, and a client certificate): the status and the body. */
function https(served: TlsServe, path: string, tls: { ca?: Buffer; cert?: Buffer; key?: Buffer }, body?: { contentType: string; bytes: Buffer }): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const call = httpsRequest(
      {
        host: '127.0.0.1',
        port: served.http,
        path,
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? {} : { 'content-type': body.contentType, authorization: `Bearer ${apiKey}` },
        ...tls,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    call.on('error', reject);
    call.end(body?.bytes);
  });
}

/** One track record, ingested over gRPC with `channel` credentials: its status, or the call's error. */
function ingest(served: TlsServe, channel: ChannelCredentials): Promise<string> {
  const client = new IngestServiceClient(`127.0.0.1:${served.grpc}`, channel, { 'grpc.ssl_target_name_override': 'localhost' });
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${apiKey}`);
  const request = IngestRequest.fromPartial({
    records: [
      { eventId: `evt_${randomBytes(6).toString('hex')}`, timestamp: new Date(), kind: { $case: 'event', value: { profileId: 'prof_tls', call: { $case: 'track', value: { name: 'Tls' } } } } },
    ],
  });
  return new Promise((resolve) => {
    client.ingest(request, metadata, { deadline: Date.now() + 10_000 }, (error, response) => {
      client.close();
      resolve(error === null ? RecordStatus[response?.results[0].status ?? RecordStatus.UNRECOGNIZED] : `error: ${error.details}`);
    });
  });
}

/** A gRPC-Web call of Ingest with one record, over HTTPS through the bridge. */
function grpcWebFrame(): Buffer {
  const message = IngestRequest.encode(
    IngestRequest.fromPartial({
      records: [
        { eventId: `evt_${randomBytes(6).toString('hex')}`, timestamp: new Date(), kind: { $case: 'event', value: { profileId: 'prof_tls', call: { $case: 'track', value: { name: 'Web' } } } } },
      ],
    }),
  ).finish();
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  Buffer.from(message).copy(frame, 5);
  return frame;
}

it('serves gRPC, HTTPS and gRPC-Web over TLS, refuses plain connections, and serves a renewed certificate without a restart', async () => {
  const served = await startTlsServe(false);
  try {
    const ca = readFileSync(certs.caCert);
    expect(await ingest(served, credentials.createSsl(ca))).toBe('ACCEPTED');
    expect(await ingest(served, credentials.createInsecure())).toMatch(/^error: /);
    const web = await https(served, '/tributary.ingest.v1.IngestService/Ingest', { ca }, { contentType: 'application/grpc-web+proto', bytes: grpcWebFrame() });
    expect(web.status).toBe(200);
    const answer = IngestResponse.decode(web.body.subarray(5, 5 + web.body.readUInt32BE(1)));
    expect(RecordStatus[answer.results[0].status]).toBe('ACCEPTED');
    expect(web.body.toString('latin1')).toMatch(/grpc-status: ?0/);
    await expect(fetch(`http://127.0.0.1:${served.http}/healthz`)).rejects.toThrow();
    // `tributary send` over TLS with the test CA, and refused without it.
    const file = join(served.dir, 'record.json');
    writeFileSync(file, JSON.stringify({ eventId: `evt_${randomBytes(6).toString('hex')}`, timestamp: new Date().toISOString(), event: { profileId: 'prof_send_tls', track: { name: 'Send Tls' } } }));
    const sent = startCli(['send', '--address', `localhost:${served.grpc}`, '--ca-file', certs.caCert, file], { TRIBUTARY_API_KEY: apiKey });
    expect(await sent.exited).toBe(0);
    const plain = startCli(['send', '--address', `localhost:${served.grpc}`, file], { TRIBUTARY_API_KEY: apiKey });
    expect(await plain.exited).toBe(2);
    // The SDK's Node transport, trusting the test CA.
    const sdk = createClient({ url: `localhost:${served.grpc}`, apiKey, transport: 'grpc', profileId: 'prof_sdk_tls', tls: { ca } });
    expect((await sdk.track('Sdk Tls')).status).toBe('accepted');
    await sdk.close();

    // Renewed: a certificate from another CA replaces the files; new connections get it.
    copyFileSync(renewed.serverCert, join(served.dir, 'server.crt'));
    copyFileSync(renewed.serverKey, join(served.dir, 'server.key'));
    const renewedCa = readFileSync(renewed.caCert);
    await waitFor('HTTPS to serve the renewed certificate', async () => ((await https(served, '/healthz', { ca: renewedCa }).catch(() => undefined))?.status === 200 ? true : undefined));
    await waitFor('gRPC to serve the renewed certificate', async () => ((await ingest(served, credentials.createSsl(renewedCa))) === 'ACCEPTED' ? true : undefined));
    await expect(https(served, '/healthz', { ca })).rejects.toThrow();
  } finally {
    await stop(served);
  }
});

it('requires a client certificate signed by the client CA on both ports (mutual TLS)', async () => {
  const served = await startTlsServe(true);
  try {
    const ca = readFileSync(certs.caCert);
    const [cert, key] = [readFileSync(certs.clientCert), readFileSync(certs.clientKey)];
    expect(await ingest(served, credentials.createSsl(ca, key, cert))).toBe('ACCEPTED');
    expect(await ingest(served, credentials.createSsl(ca))).toMatch(/^error: /);
    expect((await https(served, '/healthz', { ca, cert, key })).status).toBe(200);
    await expect(https(served, '/healthz', { ca })).rejects.toThrow();
    const stranger = makeCertificates();
    try {
      await expect(https(served, '/healthz', { ca, cert: readFileSync(stranger.clientCert), key: readFileSync(stranger.clientKey) })).rejects.toThrow();
    } finally {
      stranger.remove();
    }
  } finally {
    await stop(served);
  }
});
