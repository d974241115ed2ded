/**
 * The SDK against a real `tributary serve` (a real nats-server and the
 * embedded ClickHouse): every call over gRPC and over gRPC-Web lands in
 * ClickHouse; a rejected record comes back with its violations; and a NATS
 * outage mid-run is ridden out by retries with the same event ids, every
 * record stored exactly once.
 */
import { createClient, type Outcome, type TributaryError } from '../../../sdk/src';
import { NatsServer } from '../../helpers/nats-server';
import { ServeProcess } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(120_000);
let nats: NatsServer;
let serve: ServeProcess;

beforeAll(async () => {
  nats = await NatsServer.start();
  // What a sink held when NATS went away comes back after the ack wait.
  serve = await ServeProcess.start(nats.url, { TRIBUTARY_SINK_ACK_WAIT: '3s' });
});
afterAll(async () => {
  await serve?.stop();
  await nats?.stop();
});

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const urlOf = (transport: 'grpc' | 'grpc-web') => (transport === 'grpc' ? `127.0.0.1:${serve.grpcPort}` : serve.httpUrl);
const statuses = (outcomes: readonly Outcome[]) => [...new Set(outcomes.map((o) => o.status))].sort();

/** Rows of a profile in the events table itself (no FINAL): a record the stream took twice would show twice. */
async function countEvents(profileId: string): Promise<{ rows: number; ids: number }> {
  const [row] = await serve.query<{ rows: string; ids: string }>(`SELECT count() AS rows, uniqExact(event_id) AS ids FROM tributary.events WHERE profile_id = '${profileId}'`);
  return { rows: Number(row.rows), ids: Number(row.ids) };
}

it.each(['grpc', 'grpc-web'] as const)('sends every call over %s, and ClickHouse has them all', async (transport) => {
  const profileId = `prof_sdk_${transport.replace('-', '_')}`;
  const client = createClient({ url: urlOf(transport), apiKey: serve.apiKey, transport, profileId, platform: 'web', batchSize: 4 });
  const outcomes = await Promise.all([
    client.track('Order Completed', { total: 42.5, items: ['a', 'b'] }),
    client.identify(`${profileId}@example.com`, { plan: 'pro' }),
    client.alias(`crm_${profileId}`),
    client.group('acct_1', { name: 'Acme' }),
    client.consent({ action: 'accept', validUntil: new Date(Date.now() + 86_400_000), source: 'banner', category: 'analytics' }),
    client.page({ url: 'https://shop.example.com/cart', title: 'Cart' }),
    client.product({ productId: `sku_${transport}`, title: 'Wine', price: 12.5 }),
  ]);
  await client.close();
  expect(statuses(outcomes)).toEqual(['accepted']);
  expect(outcomes.every((o) => UUID_V7.test(o.eventId))).toBe(true);

  const rows = await waitFor('the events in ClickHouse', async () => {
    const found = await serve.query<{ call: string; user_id: string; session_id: string; event_id: string; library: string }>(
      `SELECT call, user_id, session_id, event_id, JSONExtractString(context, 'library', 'name') AS library FROM tributary.events_final WHERE profile_id = '${profileId}' ORDER BY event_id`,
    );
    return found.length === 6 ? found : undefined;
  });
  expect(rows.map((r) => r.call)).toEqual(['track', 'identify', 'alias', 'group', 'consent', 'page']);
  expect(new Set(rows.map((r) => r.session_id)).size).toBe(1);
  expect(rows[0].user_id).toBe('');
  expect(rows.slice(1).every((r) => r.user_id === `${profileId}@example.com`)).toBe(true);
  expect(rows.every((r) => r.library === '@tributary/sdk')).toBe(true);
  const products = await waitFor('the product in ClickHouse', async () => {
    const found = await serve.query<{ title: string }>(`SELECT title FROM tributary.products_final WHERE product_id = 'sku_${transport}'`);
    return found.length === 1 ? found : undefined;
  });
  expect(products).toEqual([{ title: 'Wine' }]);
});

it('hands a rejected record back with its field and reason, and tells onProblem', async () => {
  const problems: Outcome[] = [];
  const client = createClient({ url: serve.httpUrl, apiKey: serve.apiKey, transport: 'grpc-web', onProblem: (o) => problems.push(o) });
  const outcome = await client.track('Signed Up'); // no profile: the server's validator says so
  await client.close();
  expect(outcome).toEqual({ status: 'rejected', eventId: outcome.eventId, violations: [expect.objectContaining({ field: 'event.profile_id', reason: 'REQUIRED' })] });
  expect(problems).toEqual([outcome]);
});

it('fails, without retrying, a call the gateway refuses for good', async () => {
  const retries: TributaryError[] = [];
  const client = createClient({ url: urlOf('grpc'), apiKey: 'not-a-key-of-this-gateway', transport: 'grpc', profileId: 'p', onRetry: (e) => retries.push(e) });
  const outcome = await client.track('Signed Up');
  await client.close();
  expect(outcome.status).toBe('failed');
  expect(outcome.status === 'failed' && [outcome.error.code, outcome.error.reason]).toEqual([16, 'UNKNOWN_API_KEY']);
  expect(retries).toEqual([]);
});

it.each(['grpc', 'grpc-web'] as const)('rides out a NATS outage over %s: retries with the same ids, every record stored once', async (transport) => {
  const profileId = `prof_outage_${transport.replace('-', '_')}`;
  const retries: TributaryError[] = [];
  const client = createClient({
    url: urlOf(transport),
    apiKey: serve.apiKey,
    transport,
    profileId,
    batchSize: 50,
    flushIntervalMs: 50,
    requestTimeoutMs: 2000,
    retryMaxMs: 500,
    onRetry: (error) => retries.push(error),
  });
  const send = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => client.track('Item Viewed', { n: from + i }));

  const before = send(0, 100);
  await client.flush();
  await nats.pause();
  const during = send(100, 200);
  await waitFor('a failed attempt to be retried', () => (retries.length > 0 ? true : undefined));
  await nats.resume();
  const after = send(200, 300);
  const outcomes = await Promise.all([...before, ...during, ...after]);
  await client.close();

  expect(statuses(outcomes).filter((s) => s !== 'duplicate')).toEqual(['accepted']);
  expect(new Set(retries.map((e) => e.code))).toEqual(new Set([14]));
  const counted = await waitFor(
    'every record in ClickHouse',
    async () => {
      const now = await countEvents(profileId);
      return now.ids === 300 ? now : undefined;
    },
    60_000,
  );
  expect(counted).toEqual({ rows: 300, ids: 300 });
});
