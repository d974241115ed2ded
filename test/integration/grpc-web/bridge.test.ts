/**
 * gRPC-Web through the HTTP endpoint's bridge to a real gateway and a real
 * nats-server: both wire forms, buf curl as an independent client, unary and streamed responses, error details
 * in the trailers, deadlines, cancellation when the browser goes away, the
 * body-size limit, and CORS.
 */
import { execFile } from 'node:child_process';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { GrpcWebBridge } from '../../../src/gateway/grpc-web-bridge';
import { IngestRequest, IngestResponse, RecordStatus } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { encodeFrame } from '../../../sdk/src/wire';
import { grpcWebCall } from '../../../sdk/src/grpc-web/fetch-call';
import { startHttpEndpoint, type HttpEndpoint } from '../../../src/http/http-server';
import { Metrics } from '../../../src/observability/metrics';
import { GatewayHarness, KEYS } from '../../helpers/gateway-harness';
import { trackRecord } from '../../helpers/records';
import { decodeStatusDetails } from '../../helpers/status-details';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(60_000);
const ORIGIN = 'http://app.example.test';
const MAX_BODY = 64 * 1024;
let harness: GatewayHarness;
let bridge: GrpcWebBridge;
let http: HttpEndpoint;
let base: string;

beforeAll(async () => {
  harness = await GatewayHarness.start({ publishTimeoutMs: '30s', maxRequestBytes: '32KiB' });
  bridge = new GrpcWebBridge({ target: `127.0.0.1:${harness.gateway.port}`, corsOrigins: [ORIGIN], maxBodyBytes: MAX_BODY, logger: pino({ level: 'silent' }) });
  http = await startHttpEndpoint('127.0.0.1:0', { metrics: new Metrics(), logger: pino({ level: 'silent' }), ready: {}, grpcWeb: (req, res) => bridge.handle(req, res) });
  base = `http://127.0.0.1:${http.port}`;
});
afterAll(async () => {
  bridge.close();
  await http.close();
  await harness.close();
});

const INGEST = '/tributary.ingest.v1.IngestService/Ingest';
const auth = (key: string = KEYS.sourceA) => ({ authorization: `Bearer ${key}` });
const encoded = (records: IngestRequest['records']) => IngestRequest.encode({ records }).finish();

it.each([false, true])('ingests over gRPC-Web (text form: %s) and stores the record in the stream', async (text) => {
  const eventId = `evt_web_${text ? 'text' : 'binary'}`;
  const before = await harness.messageCount();
  const result = await grpcWebCall(`${base}${INGEST}`, [encoded([trackRecord(eventId)])], { headers: auth(), text });
  expect(result.httpStatus).toBe(200);
  expect(result.headers.get('content-type')).toBe(text ? 'application/grpc-web-text+proto' : 'application/grpc-web+proto');
  expect(result.trailers['grpc-status']).toBe('0');
  expect(result.messages).toHaveLength(1);
  expect(IngestResponse.decode(result.messages[0]).results).toEqual([expect.objectContaining({ eventId, status: RecordStatus.ACCEPTED })]);
  expect(await harness.messageCount()).toBe(before + 1);
});

it('answers buf curl --protocol grpcweb, an independent client', async () => {
  const root = join(__dirname, '..', '..', '..');
  const body = { records: [{ eventId: 'evt_web_buf', product: { productId: '123', data: { name: 'Wine' } } }] };
  const { stdout } = await promisify(execFile)(join(root, 'node_modules', '.bin', 'buf'), [
    'curl',
    '--protocol',
    'grpcweb',
    '--schema',
    join(root, 'src', 'gen', 'descriptor-set.binpb'),
    '-H',
    `authorization: Bearer ${KEYS.sourceA}`,
    '-d',
    JSON.stringify(body),
    `${base}${INGEST}`,
  ]);
  expect((JSON.parse(stdout) as IngestResponse).results).toEqual([expect.objectContaining({ eventId: 'evt_web_buf', status: 'RECORD_STATUS_ACCEPTED' })]);
});

it('decodes a grpc-web-text body sent as several padded base64 chunks', async () => {
  const frame = encodeFrame(0, encoded([trackRecord('evt_web_chunks')]));
  const cut = 7; // not a multiple of 3: the first chunk ends in padding
  const body = Buffer.from(frame.subarray(0, cut)).toString('base64') + Buffer.from(frame.subarray(cut)).toString('base64');
  expect(body.slice(0, 12)).toMatch(/=/);
  const response = await fetch(`${base}${INGEST}`, { method: 'POST', headers: { 'content-type': 'application/grpc-web-text', ...auth() }, body });
  const bytes = Buffer.from(await response.text(), 'base64');
  const length = bytes.readUInt32BE(1);
  expect(IngestResponse.decode(bytes.subarray(5, 5 + length)).results[0]).toEqual(expect.objectContaining({ eventId: 'evt_web_chunks', status: RecordStatus.ACCEPTED }));
});

it('answers a rejected record with its field and reason', async () => {
  const result = await grpcWebCall(`${base}${INGEST}`, [encoded([{ ...trackRecord('evt_web_bad'), timestamp: undefined }])], { headers: auth() });
  const [answer] = IngestResponse.decode(result.messages[0]).results;
  expect(answer.status).toBe(RecordStatus.REJECTED);
  expect(answer.violations).toEqual([expect.objectContaining({ field: 'timestamp', reason: 'REQUIRED' })]);
});

it('carries whole-call errors and their google.rpc details in the trailers', async () => {
  const result = await grpcWebCall(`${base}${INGEST}`, [encoded([trackRecord('evt_web_nokey')])], { headers: auth('not-a-key-of-this-gateway') });
  expect(result.messages).toHaveLength(0);
  expect(result.trailers['grpc-status']).toBe('16');
  const details = decodeStatusDetails(Buffer.from(result.trailers['grpc-status-details-bin'], 'base64'));
  expect(details.errorInfo?.reason).toBe('UNKNOWN_API_KEY');
});

it('streams every response of IngestStream, in order', async () => {
  const requests = [1, 2, 3].map((n) => encoded([trackRecord(`evt_web_stream_${n}`)]));
  const result = await grpcWebCall(`${base}/tributary.ingest.v1.IngestService/IngestStream`, requests, { headers: auth() });
  expect(result.trailers['grpc-status']).toBe('0');
  expect(result.messages.map((m) => IngestResponse.decode(m).results[0].eventId)).toEqual(['evt_web_stream_1', 'evt_web_stream_2', 'evt_web_stream_3']);
});

it('serves a server-streaming method (health Watch) frame by frame, and cancels it when the client goes away', async () => {
  const abort = new AbortController();
  const response = await fetch(`${base}/grpc.health.v1.Health/Watch`, {
    method: 'POST',
    headers: { 'content-type': 'application/grpc-web+proto' },
    body: encodeFrame(0, new Uint8Array(0)),
    signal: abort.signal,
  });
  const reader = response.body!.getReader();
  const first = await reader.read();
  const bytes = first.value!;
  expect(bytes[0]).toBe(0);
  // HealthCheckResponse{status: SERVING}: field 1, varint 1.
  expect([...bytes.subarray(5, 5 + Buffer.from(bytes).readUInt32BE(1))]).toEqual([0x08, 0x01]);
  expect(bridge.openCalls).toBe(1);
  abort.abort();
  await waitFor('the bridge to cancel the call upstream', () => (bridge.openCalls === 0 ? true : undefined));
});

it('passes grpc-timeout to the gateway, which answers DEADLINE_EXCEEDED', async () => {
  harness.nats.freeze();
  try {
    const result = await grpcWebCall(`${base}${INGEST}`, [encoded([trackRecord('evt_web_deadline')])], { headers: { ...auth(), 'grpc-timeout': '300m' } });
    expect(result.trailers['grpc-status']).toBe('4');
  } finally {
    harness.nats.thaw();
  }
});

it('cancels the upstream call when the browser aborts a unary call', async () => {
  harness.nats.freeze();
  try {
    const abort = new AbortController();
    const call = grpcWebCall(`${base}${INGEST}`, [encoded([trackRecord('evt_web_abort')])], { headers: auth(), signal: abort.signal });
    // With NATS frozen the call would wait 30 s for its PubAck; only a cancel closes it sooner.
    await waitFor('the call to reach the bridge', () => (bridge.openCalls === 1 ? true : undefined));
    abort.abort();
    await expect(call).rejects.toThrow();
    await waitFor('the bridge to cancel the call upstream', () => (bridge.openCalls === 0 ? true : undefined));
  } finally {
    harness.nats.thaw();
  }
});

describe('the body-size limit', () => {
  let unfinished: ClientRequest | undefined;
  afterEach(() => unfinished?.destroy());

  it('refuses a declared content-length over the limit before any of the body arrives', async () => {
    // Only 5 bytes are sent and the request is never ended: an answer can only come from the declared length.
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const req = httpRequest(`${base}${INGEST}`, { method: 'POST', headers: { 'content-type': 'application/grpc-web+proto', 'content-length': String(MAX_BODY + 1), ...auth() } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
      });
      unfinished = req;
      req.on('error', reject);
      req.write(Buffer.alloc(5));
    });
    expect(answer.subarray(5).toString()).toContain('grpc-status: 8');
    expect(decodeURIComponent(answer.subarray(5).toString())).toContain(`larger than ${MAX_BODY} bytes`);
    expect(bridge.openCalls).toBe(0);
  });

  it('stops reading a chunked body once it passes the limit', async () => {
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const req = httpRequest(`${base}${INGEST}`, { method: 'POST', headers: { 'content-type': 'application/grpc-web+proto', ...auth() } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(16 * 1024);
      for (let i = 0; i < 8; i++) req.write(chunk);
      req.end();
    });
    expect(answer.subarray(5).toString()).toContain('grpc-status: 8');
  });
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin', async () => {
    const response = await fetch(`${base}${INGEST}`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-grpc-web' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization,content-type,x-grpc-web');
  });

  it('lets the allowed origin read the status trailers', async () => {
    const result = await grpcWebCall(`${base}${INGEST}`, [encoded([trackRecord('evt_web_cors')])], { headers: { ...auth(), origin: ORIGIN } });
    expect(result.trailers['grpc-status']).toBe('0');
    expect(result.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(result.headers.get('access-control-expose-headers')).toContain('grpc-status');
  });

  it.each(['OPTIONS', 'POST'])('refuses %s from an origin not configured', async (method) => {
    const response = await fetch(`${base}${INGEST}`, {
      method,
      headers: { origin: 'http://evil.example.test', 'access-control-request-method': 'POST', 'content-type': 'application/grpc-web+proto' },
      body: method === 'POST' ? encodeFrame(0, encoded([trackRecord('evt_web_evil')])) : undefined,
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
