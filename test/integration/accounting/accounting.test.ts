/**
 * Accounting end to end, on a real nats-server and this process's chDB: a
 * gateway and a sink (with its identity stage) in this process, the admin
 * routes on an HTTP endpoint, and `tributary tail` and `tributary reconcile`
 * as child processes. Within one minute, valid records, duplicates, invalid
 * records of two reasons (over gRPC and the Connect door) and records dropped
 * for want of consent: the accounting equals the mix; reconcile holds, and
 * after a stored row is deleted by hand names that event; the rejection
 * samples are capped per reason, parse back into records and leave no copy
 * in the accounting stream; the tail printed exactly the answered records in
 * order, a filtered tail exactly its share, and the stream's consumers are as
 * before once both tails and the reconciliation have ended.
 */
import { randomBytes } from 'node:crypto';
import { credentials, Metadata } from '@grpc/grpc-js';
import pino from 'pino';
import { accountingReads, reconcile } from '../../../src/accounting/reconcile';
import { DEFAULT_SOURCE_SETTINGS } from '../../../src/config/source-settings';
import { AuthThrottle } from '../../../src/gateway/auth-throttle';
import { startGateway, type Gateway } from '../../../src/gateway/gateway';
import { IngestServiceClient, RecordStatus, type IngestRequest, type IngestResponse } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { startHttpEndpoint, type HttpEndpoint } from '../../../src/http/http-server';
import { Metrics } from '../../../src/observability/metrics';
import { accountingStreamName } from '../../../src/stream/accounting-stream';
import { startCli, type CliProcess } from '../../helpers/cli-process';
import { select } from '../../helpers/clickhouse';
import { SinkHarness } from '../../helpers/sink-harness';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(180_000);
const SOURCE = 'acc_web';
const GATED = 'acc_gated';
const apiKey = `acc-key-${randomBytes(8).toString('hex')}`;
const gatedKey = `acc-gated-${randomBytes(8).toString('hex')}`;
const adminKey = `acc-admin-${randomBytes(8).toString('hex')}`;
const SAMPLES = 3;
let harness: SinkHarness;
let gateway: Gateway;
let http: HttpEndpoint;
let grpc: InstanceType<typeof IngestServiceClient>;
const address = () => `127.0.0.1:${http.port}`;

beforeAll(async () => {
  harness = await SinkHarness.create({ apiKeys: `${apiKey}=${SOURCE},${gatedKey}=${GATED}`, rejectionSamples: String(SAMPLES), grpcAddr: '127.0.0.1:0' });
  const logger = pino({ level: 'silent' });
  const metrics = new Metrics();
  const sources = (source: string) => (source === GATED ? { ...DEFAULT_SOURCE_SETTINGS, consent: { mode: 'opt_in' as const, categories: ['analytics'] } } : DEFAULT_SOURCE_SETTINGS);
  gateway = await startGateway(harness.config, logger, metrics, undefined, sources);
  const access = { adminKey, throttle: new AuthThrottle({ maxFailures: 100, windowMs: 60_000, maxAddresses: 100, now: Date.now }), trustedProxies: [] };
  const reads = await accountingReads(harness.config, harness.clickhouse, harness.link.nc);
  const admin = { access, reconcile: (source: string, fromMs: number) => reconcile(reads, source, fromMs), tail: gateway.tail };
  http = await startHttpEndpoint('127.0.0.1:0', { metrics, logger, ready: {}, admin, httpDoors: gateway.httpDoors });
  grpc = new IngestServiceClient(`127.0.0.1:${gateway.port}`, credentials.createInsecure());
});
afterAll(async () => {
  grpc?.close();
  await http?.close();
  await gateway?.stop();
  await harness?.close();
});

const now = () => new Date();
const track = (eventId: string, profileId = 'prof_acc', name = 'Bought'): Record =>
  Record.fromPartial({ eventId, timestamp: now(), kind: { $case: 'event', value: { profileId, call: { $case: 'track', value: { name } } } } });
const future = (eventId: string): Record => ({ ...track(eventId), timestamp: new Date(Date.now() + 7 * 86_400_000) });

function ingest(key: string, records: Record[]): Promise<IngestResponse> {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  // A header only the gateway's own gRPC-Web bridge may set: a sample keeps the real address.
  metadata.set('x-tributary-peer-ip', '203.0.113.9');
  return new Promise((resolve, reject) => grpc.ingest({ records } as IngestRequest, metadata, (error, response) => (error === null ? resolve(response as IngestResponse) : reject(error))));
}

async function connectIngest(records: unknown[]): Promise<{ eventId: string; status: string }[]> {
  const response = await fetch(`http://${address()}/tributary.ingest.v1.IngestService/Ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ records }),
  });
  return ((await response.json()) as { results: { eventId: string; status: string }[] }).results;
}

/** The JSON lines a tail printed. */
const tailLines = (tail: CliProcess) =>
  tail
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { event_id: string; status: string; reason: string; source: string; call: string; name: string; seq: number });

const STATUS = { [RecordStatus.ACCEPTED]: 'accepted', [RecordStatus.DUPLICATE]: 'duplicate', [RecordStatus.REJECTED]: 'rejected', [RecordStatus.DROPPED]: 'dropped' } as { [status: number]: string };

it('accounts for every record, reconciles, keeps capped samples, and tails exactly what was answered', async () => {
  const { jsm, config, clickhouse } = harness;
  const db = config.clickhouseDatabase;
  const consumersBefore = (await jsm.consumers.list(config.stream).next()).map((c) => c.name).sort();
  const env = { TRIBUTARY_ADMIN_KEY: adminKey };
  const tailAll = startCli(['tail', '--address', address()], env);
  const tailRejected = startCli(['tail', '--address', address(), '--status', 'rejected', '--source', SOURCE], env);
  await waitFor('both tails to watch', () => (gateway.tail.watching === 2 ? true : undefined), 30_000);
  // Everything in one minute: wait for a minute with time to spare.
  await waitFor('a fresh minute', () => (now().getUTCSeconds() < 40 ? true : undefined), 60_000, 200);

  const id = (name: string) => `${name}-${randomBytes(3).toString('hex')}`;
  const valid = Array.from({ length: 6 }, () => id('ok'));
  const answered: { eventId: string; status: string }[] = [];
  const grpcAnswer = async (key: string, records: Record[]) => {
    const response = await ingest(key, records);
    answered.push(...response.results.map((r) => ({ eventId: r.eventId, status: STATUS[r.status] })));
    return response;
  };
  await grpcAnswer(apiKey, [...valid.map((v) => track(v)), track(id('noprof'), ''), track(id('noprof'), ''), future(id('late'))]);
  await grpcAnswer(apiKey, [track(valid[0]), track(valid[1]), track(id('noprof'), ''), track(id('noprof'), ''), track(id('noprof'), '')]);
  await grpcAnswer(gatedKey, [track(id('gated')), track(id('gated'))]);
  const viaConnect = await connectIngest([
    { eventId: id('cn'), timestamp: now().toISOString(), event: { profileId: 'prof_cn', track: { name: 'Viewed' } } },
    { eventId: id('cn-noprof'), timestamp: now().toISOString(), event: { profileId: '', track: { name: 'Viewed' } } },
  ]);
  answered.push(...viaConnect.map((r) => ({ eventId: r.eventId, status: r.status.replace('RECORD_STATUS_', '').toLowerCase() })));
  expect(answered.map((a) => a.status)).toEqual([
    ...Array(6).fill('accepted'),
    'rejected',
    'rejected',
    'rejected',
    'duplicate',
    'duplicate',
    'rejected',
    'rejected',
    'rejected',
    'dropped',
    'dropped',
    'accepted',
    'rejected',
  ]);

  // The accounting rows equal the mix.
  const accounted = async (source: string) =>
    Object.fromEntries(
      (await select<{ key: string; n: string }>(clickhouse, `SELECT concat(measure, '/', reason) AS key, sum(count) AS n FROM ${db}.accounting FINAL WHERE source_id = '${source}' GROUP BY key`)).map(
        (r) => [r.key, Number(r.n)],
      ),
    );
  await waitFor('the accounting rows', async () => ((await accounted(SOURCE))['received/'] === 16 ? true : undefined), 30_000, 200);
  expect(await accounted(SOURCE)).toEqual({ 'received/': 16, 'accepted/': 7, 'duplicate/': 2, 'rejected/REQUIRED': 6, 'rejected/TOO_FAR_IN_FUTURE': 1 });
  expect(await accounted(GATED)).toEqual({ 'received/': 2, 'dropped/no_consent': 2 });

  // The tails printed exactly what was answered, in order; the filtered one its share.
  await waitFor('every answer tailed', () => (tailLines(tailAll).length >= answered.length ? true : undefined), 10_000);
  expect(tailLines(tailAll).map((l) => ({ eventId: l.event_id, status: l.status }))).toEqual(answered);
  expect(tailLines(tailAll).find((l) => l.status === 'dropped')).toMatchObject({ source: GATED, reason: 'no_consent', call: 'track', name: 'Bought', seq: 0 });
  const rejectedOfSource = answered.filter((a) => a.status === 'rejected');
  await waitFor('the filtered tail', () => (tailLines(tailRejected).length >= rejectedOfSource.length ? true : undefined), 10_000);
  expect(tailLines(tailRejected).map((l) => ({ eventId: l.event_id, status: l.status }))).toEqual(rejectedOfSource);
  for (const tail of [tailAll, tailRejected]) tail.child.kill('SIGINT');
  expect(await Promise.all([tailAll.exited, tailRejected.exited])).toEqual([0, 0]);
  await waitFor('the tails to end', () => (gateway.tail.watching === 0 ? true : undefined));

  // Samples: capped per reason, each a record with its violations; their accounting messages erased from the stream.
  await waitFor('the stored records', async () => ((await select(clickhouse, `SELECT event_id FROM ${db}.events WHERE source_id = '${SOURCE}'`)).length === 7 ? true : undefined), 30_000, 200);
  const samples = await select<{ reason: string; record: string; violations: string; transport: string; ip: string; stream_seq: string }>(
    clickhouse,
    `SELECT reason, record, violations, transport, ip, stream_seq FROM ${db}.rejections FINAL WHERE source_id = '${SOURCE}' ORDER BY reason, slot`,
  );
  expect(samples.map((s) => s.reason)).toEqual([...Array(SAMPLES).fill('REQUIRED'), 'TOO_FAR_IN_FUTURE']);
  for (const sample of samples) {
    const record = Record.fromJSON(JSON.parse(sample.record));
    expect(answered.some((a) => a.eventId === record.eventId && a.status === 'rejected')).toBe(true);
    expect(JSON.parse(sample.violations)[0]).toMatchObject({ field: sample.reason === 'REQUIRED' ? 'event.profile_id' : 'timestamp', reason: sample.reason });
    expect(sample.transport).toMatch(/^(grpc|connect)$/);
    expect(sample.ip).toBe('127.0.0.1');
    expect(await jsm.streams.getMessage(accountingStreamName(config), { seq: Number(sample.stream_seq) })).toBeNull();
  }

  // Reconciled; then a stored row deleted by hand is named.
  const reconcile = async () => {
    const run = startCli(['reconcile', '--address', address(), '--source', SOURCE, '--since', '10m'], env);
    return { code: await run.exited, output: run.output() };
  };
  const holds = await reconcile();
  expect(holds).toMatchObject({ code: 0 });
  expect(holds.output).toMatch(/received 16 = accepted 7 \+ duplicate 2 \+ rejected 7 \+ dropped 0 {2}ok/);
  await clickhouse.command({ query: `ALTER TABLE ${db}.events DELETE WHERE event_id = '${valid[3]}' SETTINGS mutations_sync = 2` });
  const broken = await reconcile();
  expect(broken.code).toBe(1);
  expect(broken.output).toContain(`accepted 7 = stored 6 + dead-lettered 0 + pending 0  DOES NOT HOLD`);
  expect(broken.output).toContain(`missing (accepted, neither stored, dead-lettered nor pending): ${valid[3]}`);

  // Nothing of the tails or the reconciliation stays on the stream.
  expect((await jsm.consumers.list(config.stream).next()).map((c) => c.name).sort()).toEqual(consumersBefore);
});

it('does no work for a caller without the admin key, and names a bad parameter', async () => {
  const get = (path: string, key?: string) => fetch(`http://${address()}${path}`, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } });
  for (const path of [`/admin/tail`, `/admin/reconcile?source=${SOURCE}`]) {
    expect((await get(path)).status).toBe(401);
    expect((await get(path, 'not-the-admin-key-0000')).status).toBe(401);
  }
  expect(gateway.tail.watching).toBe(0);
  // This endpoint runs no overview and no query: those are the sink's, and it has not been given them.
  expect((await get('/admin/overview', adminKey)).status).toBe(404);
  expect((await fetch(`http://${address()}/admin/tail`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}` } })).status).toBe(405);
  const refused = async (path: string) => {
    const response = await get(path, adminKey);
    return { status: response.status, error: ((await response.json()) as { error: string }).error };
  };
  expect(await refused('/admin/reconcile?source=a%2Eb')).toEqual({ status: 400, error: 'source: a source id must be 1 to 64 letters, digits, "_" or "-"' });
  expect(await refused(`/admin/reconcile?source=${SOURCE}&since=soon`)).toMatchObject({ status: 400, error: expect.stringMatching(/^since: /) });
  expect(await refused('/admin/tail?max_rate=0')).toMatchObject({ status: 400, error: expect.stringMatching(/^max_rate: /) });
  // The console's page is served without the key, and allows nothing from another origin.
  const page = await get('/console');
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);
});
