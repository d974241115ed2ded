/**
 * Per-source rate limits, against a real `tributary serve` with a sources
 * file: a noisy source past its burst is refused whole, with
 * RESOURCE_EXHAUSTED and RetryInfo on gRPC and 429 with Retry-After on HTTP,
 * and counted; another source is served in full meanwhile; and a raised
 * limit in the reloaded file lets the noisy source through again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { IngestRequest, IngestServiceClient, RecordStatus, type IngestResponse } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { NatsServer } from '../../helpers/nats-server';
import { ServeProcess } from '../../helpers/serve-process';
import { statusDetails } from '../../helpers/status-details';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(120_000);
const noisyKey = `noisy-key-${randomBytes(8).toString('hex')}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
let nats: NatsServer;
let serve: ServeProcess;
let dir: string;
let sourcesFile: string;

const limitNoisy = (recordsPerSecond: number, burst: number) => writeFileSync(sourcesFile, JSON.stringify({ sources: { noisy: { rateLimit: { recordsPerSecond, burst } } } }));

beforeAll(async () => {
  nats = await NatsServer.start();
  dir = mkdtempSync(join(tmpdir(), 'tributary-rate-'));
  sourcesFile = join(dir, 'sources.json');
  limitNoisy(0.01, 10);
  writeFileSync(join(dir, 'keys'), `sha256:${sha256(noisyKey)}=noisy\n`);
  serve = await ServeProcess.start(nats.url, { TRIBUTARY_SOURCES_FILE: sourcesFile, TRIBUTARY_API_KEYS_FILE: join(dir, 'keys') });
});
afterAll(async () => {
  await serve?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const records = (count: number) =>
  Array.from({ length: count }, () => ({ eventId: `evt_${randomBytes(6).toString('hex')}`, timestamp: new Date().toISOString(), event: { profileId: 'prof_rate', track: { name: 'Rate' } } }));

/** Sends `count` records through the Connect door with `key`: the status, Retry-After and the body. */
async function connect(key: string, count: number): Promise<{ status: number; retryAfter: string | null; body: { results?: { status: string }[]; code?: string; message?: string } }> {
  const response = await fetch(`${serve.httpUrl}/tributary.ingest.v1.IngestService/Ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ records: records(count) }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { results?: { status: string }[] } };
}

/** Sends `count` records over gRPC with `key`. */
function grpc(key: string, count: number): Promise<IngestResponse | ServiceError> {
  const client = new IngestServiceClient(`127.0.0.1:${serve.grpcPort}`, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  const request = IngestRequest.fromPartial({
    records: records(count).map((r) => ({
      eventId: r.eventId,
      timestamp: new Date(),
      kind: { $case: 'event' as const, value: { profileId: 'prof_rate', call: { $case: 'track' as const, value: { name: 'Rate' } } } },
    })),
  });
  return new Promise((resolve) => client.ingest(request, metadata, (error, response) => (client.close(), resolve(error ?? (response as IngestResponse)))));
}

const metric = async (line: string): Promise<number> =>
  Number(
    (await (await fetch(`${serve.httpUrl}/metrics`)).text())
      .split('\n')
      .find((l) => l.startsWith(line))
      ?.split(' ')
      .pop() ?? 0,
  );

it('refuses a source past its burst, on every transport, while another source is served in full', async () => {
  expect((await connect(noisyKey, 10)).body.results?.every((r) => r.status === 'RECORD_STATUS_ACCEPTED')).toBe(true);
  const refused = await connect(noisyKey, 5);
  expect(refused.status).toBe(429);
  expect(refused.body.code).toBe('resource_exhausted');
  expect(refused.body.message).toMatch(/over its rate limit/);
  expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
  const overGrpc = (await grpc(noisyKey, 5)) as ServiceError;
  expect(overGrpc.code).toBe(status.RESOURCE_EXHAUSTED);
  expect(statusDetails(overGrpc).errorInfo?.reason).toBe('RATE_LIMITED');
  expect(Number(statusDetails(overGrpc).retryInfo?.retryDelay?.seconds ?? 0)).toBeGreaterThan(0);
  // The other source is not limited by the noisy one's bucket.
  for (let i = 0; i < 5; i++) {
    const quiet = (await grpc(serve.apiKey, 100)) as IngestResponse;
    expect(quiet.results.every((r) => r.status === RecordStatus.ACCEPTED)).toBe(true);
  }
  expect(await metric('tributary_records_rate_limited_total{source="noisy"}')).toBe(10);
});

it('follows a raised limit in the reloaded sources file', async () => {
  limitNoisy(1000, 1000);
  await waitFor('the raised limit to take effect', async () => ((await connect(noisyKey, 50)).status === 200 ? true : undefined));
});
