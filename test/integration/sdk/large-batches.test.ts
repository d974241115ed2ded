/**
 * The SDK's retry contract against a real `serve` whose request limit is
 * lowered to 1 MiB: 100 records of about 20 KB (each well under the 32 KiB
 * record limit) queued at once make a first request of 2 MB, which the
 * gateway refuses as too large, with no RetryInfo. The SDK splits the batch
 * until it fits, over gRPC and over gRPC-Web (whose bridge has its own body
 * limit), so every record is accepted and close() has nothing left to wait
 * for; a record that can never fit fails alone with its reason.
 */
import { createClient, type Outcome } from '../../../sdk/src';
import { NatsServer } from '../../helpers/nats-server';
import { ServeProcess } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(120_000);
let nats: NatsServer;
let serve: ServeProcess;

beforeAll(async () => {
  nats = await NatsServer.start();
  serve = await ServeProcess.start(nats.url, { TRIBUTARY_MAX_REQUEST_BYTES: '1MiB', TRIBUTARY_GRPC_WEB_MAX_BODY: '1100KiB' });
});
afterAll(async () => {
  await serve?.stop();
  await nats?.stop();
});

/** About 21 KB of properties: three strings within the 8,192-character limit. */
const bulky = (i: number) => ({ index: i, a: 'a'.repeat(7000), b: 'b'.repeat(7000), c: 'c'.repeat(7000) });

it.each(['grpc', 'grpc-web'] as const)('over %s, 100 records of 20 KB are all accepted, and close() returns with nothing dropped', async (transport) => {
  const profileId = `prof_bulk_${transport.replace('-', '_')}`;
  const retries: string[] = [];
  const client = createClient({
    url: transport === 'grpc' ? `127.0.0.1:${serve.grpcPort}` : serve.httpUrl,
    apiKey: serve.apiKey,
    transport,
    profileId,
    batchSize: 100,
    closeTimeoutMs: 60_000,
    onRetry: (error) => retries.push(error.message),
  });
  const pending = Array.from({ length: 100 }, (_, i) => client.track('Bulk', bulky(i)));
  const closed = client.close();
  const outcomes: Outcome[] = await Promise.all(pending);
  await closed;
  expect(outcomes.map((o) => o.status)).toEqual(Array(100).fill('accepted'));
  // A request too large is split, never retried as it was.
  expect(retries).toEqual([]);
  const rows = await waitFor(
    'the 100 records in ClickHouse',
    async () => {
      const [row] = await serve.query<{ n: string }>(`SELECT count() AS n FROM tributary.events_final WHERE profile_id = '${profileId}'`);
      return Number(row.n) === 100 ? Number(row.n) : undefined;
    },
    60_000,
    200,
  );
  expect(rows).toBe(100);
});

it('fails a record that can never fit alone, with its reason, and delivers the rest', async () => {
  const client = createClient({ url: `127.0.0.1:${serve.grpcPort}`, apiKey: serve.apiKey, transport: 'grpc', profileId: 'prof_bulk_huge', batchSize: 10 });
  // Over 1 MiB in one record: the gateway refuses the request before it reads the record.
  const huge = client.track('Huge', Object.fromEntries(Array.from({ length: 140 }, (_, i) => [`k${i}`, 'x'.repeat(8000)])));
  const small = client.track('Small', { n: 1 });
  const [hugeOutcome, smallOutcome] = await Promise.all([huge, small]);
  await client.close();
  expect(hugeOutcome).toMatchObject({ status: 'failed', error: { code: 8, reason: 'REQUEST_TOO_LARGE' } });
  expect(smallOutcome.status).toBe('accepted');
});
