/**
 * The security suite's probes of the ingest doors, against a real `tributary
 * serve` (a test nats-server, the embedded ClickHouse), as the attacker's
 * pass that opened the issue ran them:
 * - unauthenticated gzip bombs on every door (Connect JSON and binary,
 *   Intempt Track and Consent, Segment, gRPC-Web, plain gRPC) are refused
 *   without their body being read: a body that never ends is answered, and
 *   thirty 8 KB bombs per door cost serve less CPU than parsing one of them;
 * - failed authentications from one address are throttled (429 with
 *   Retry-After, RESOURCE_EXHAUSTED with RetryInfo) on every door at once,
 *   until the window passes, while other addresses and successes are not;
 * - JSON 10,000 levels deep is 400 TOO_DEEP on each JSON door;
 * - a lone surrogate in an id, a name or a payload rejects its record,
 *   naming the field, and its siblings are stored.
 * Each client is its own address through X-Forwarded-For (serve trusts the
 * loopback as a proxy), so one probe's failures never throttle another's.
 */
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { gunzipSync, gzipSync } from 'node:zlib';
import { IngestRequest, IngestResponse, IngestServiceClient } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { ErrorInfo } from '../../../src/gen/google/rpc/error_details';
import { encodeFrame, parseTrailers } from '../../../sdk/src/wire';
import { grpcWebCall } from '../../../sdk/src/grpc-web/fetch-call';
import { NatsServer } from '../../helpers/nats-server';
import { trackRecord } from '../../helpers/records';
import { ServeProcess } from '../../helpers/serve-process';
import { decodeStatusDetails, failureOf, statusDetails } from '../../helpers/status-details';
import { unfinishedGrpcCall, unfinishedPost } from '../../helpers/unfinished-request';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(120_000);
const FAILURE_LIMIT = 5;
const WINDOW_SECONDS = 15;
let nats: NatsServer;
let serve: ServeProcess;
let grpc: InstanceType<typeof IngestServiceClient>;

beforeAll(async () => {
  nats = await NatsServer.start();
  serve = await ServeProcess.start(nats.url, {
    TRIBUTARY_TRUSTED_PROXIES: '127.0.0.1',
    TRIBUTARY_AUTH_FAILURE_LIMIT: String(FAILURE_LIMIT),
    TRIBUTARY_AUTH_FAILURE_WINDOW: `${WINDOW_SECONDS}s`,
  });
  grpc = new IngestServiceClient(`127.0.0.1:${serve.grpcPort}`, credentials.createInsecure());
});
afterAll(async () => {
  grpc?.close();
  await serve?.stop();
  await nats?.stop();
});

const run = Math.random().toString(36).slice(2, 8);
let addresses = 0;
/** A client address of its own (198.18.0.0/15, set aside for tests). */
const newAddress = (): string => `198.18.${Math.floor(addresses / 250)}.${(addresses++ % 250) + 1}`;

const CONNECT = '/tributary.ingest.v1.IngestService/Ingest';
const INTEMPT_TRACK = '/acme/projects/shop/sources/1/track';
const INTEMPT_CONSENT = '/acme/projects/shop/consents/data';
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
const WRONG_KEY = 'not-a-key-of-this-serve-0000';

/** Empty objects in the bomb's JSON array: just under 8 MiB of `{},`, the doors' limit, gzipped to about 8 KB. */
const OBJECTS = 2_796_000;
const inflated = Buffer.from(`[${'{},'.repeat(OBJECTS - 1)}{}]`);
const bomb = gzipSync(inflated, { level: 9 });

type Door = { readonly name: string; readonly path: string; readonly headers: { readonly [name: string]: string } };
const GZIP_JSON = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
/** Every HTTP door, as an unauthenticated caller tries it (no key, or a wrong one), with a gzip body. */
const HTTP_DOORS: readonly Door[] = [
  { name: 'Connect JSON', path: CONNECT, headers: GZIP_JSON },
  { name: 'Connect binary', path: CONNECT, headers: { 'content-type': 'application/proto', 'content-encoding': 'gzip', authorization: `Bearer ${WRONG_KEY}` } },
  { name: 'Intempt Track', path: INTEMPT_TRACK, headers: { ...GZIP_JSON, authorization: `ApiKey ${WRONG_KEY}` } },
  { name: 'Intempt Consent', path: `${INTEMPT_CONSENT}?apiKey=${WRONG_KEY}`, headers: GZIP_JSON },
  { name: 'Segment batch', path: '/v1/batch', headers: { ...GZIP_JSON, authorization: basic(WRONG_KEY) } },
  { name: 'Segment track, no header (a writeKey would be in the body)', path: '/v1/track', headers: GZIP_JSON },
];

type Violation = { readonly field: string; readonly reason: string; readonly message: string };
type Result = { readonly eventId: string; readonly status: string; readonly violations?: Violation[]; readonly records?: Result[] };
/** Whatever a door answers: results, a door's error `{error: {code, reason, message}}`, or a Connect error `{code, message, details}`. */
type Answer = {
  readonly results: Result[];
  readonly error?: { readonly code: string; readonly reason: string; readonly message: string };
  readonly code?: string;
  readonly details?: { readonly type: string; readonly value: string }[];
};

/** The reason of a door's JSON error: `{error: {reason}}` for Intempt and Segment, the ErrorInfo in a Connect error's details. */
function reasonOf(body: Answer): string | undefined {
  if (body.error !== undefined) return body.error.reason;
  const info = body.details?.find((d) => d.type === 'google.rpc.ErrorInfo');
  return info === undefined ? undefined : ErrorInfo.decode(Buffer.from(info.value, 'base64')).reason;
}

/** POSTs `body` to a door from `address`; the status, Retry-After and parsed answer. */
async function post(path: string, address: string, headers: { readonly [name: string]: string }, body: string | Uint8Array): Promise<{ status: number; retryAfter: string | null; body: Answer }> {
  const response = await fetch(`${serve.httpUrl}${path}`, { method: 'POST', headers: { 'x-forwarded-for': address, ...headers }, body });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Answer };
}

/** A gRPC-Web call of Ingest from `address`; its status and details. */
async function grpcWebIngest(address: string, key: string | undefined, request: Uint8Array) {
  const headers: { [name: string]: string } = { 'x-forwarded-for': address, ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) };
  const result = await grpcWebCall(`${serve.httpUrl}${CONNECT}`, [request], { headers });
  const detailsBin = result.trailers['grpc-status-details-bin'];
  return { status: result.trailers['grpc-status'], details: detailsBin === undefined ? undefined : decodeStatusDetails(Buffer.from(detailsBin, 'base64')) };
}

/** A plain gRPC Ingest from `address`. */
function grpcIngest(address: string, key: string, request: Partial<IngestRequest>): Promise<IngestResponse> {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  metadata.set('x-forwarded-for', address);
  return new Promise((resolve, reject) =>
    grpc.ingest({ records: [], ...request }, metadata, (error: ServiceError | null, response: IngestResponse) => (error === null ? resolve(response) : reject(error))),
  );
}

/** serve's CPU seconds so far, from its /metrics. */
async function serveCpuSeconds(): Promise<number> {
  const text = await (await fetch(`${serve.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('tributary_process_cpu_seconds_total '));
  if (line === undefined) throw new Error('serve reports no CPU time');
  return Number(line.split(' ')[1]);
}

const goodRecord = (eventId: string) => ({ eventId, timestamp: new Date(Date.now() - 1000).toISOString(), event: { profileId: 'prf_security', track: { name: 'Probe', data: { n: 1 } } } });
const events = (eventIds: readonly string[]) =>
  serve.query<{ event_id: string }>(`SELECT event_id FROM tributary.events FINAL WHERE event_id IN (${eventIds.map((id) => `'${id}'`).join(',')}) ORDER BY event_id`);

describe('unauthenticated gzip bombs', () => {
  it.each(HTTP_DOORS)('$name: a body that never ends is answered 401 with the documented error, unread', async (door) => {
    const answer = await unfinishedPost(`${serve.httpUrl}${door.path}`, { ...door.headers, 'x-forwarded-for': newAddress() }, bomb.subarray(0, 4096));
    expect(answer.status).toBe(401);
    expect(answer.headers.connection).toBe('close');
    const body = JSON.parse(answer.body.toString()) as Answer;
    expect(reasonOf(body)).toMatch(/^(MISSING|UNKNOWN)_API_KEY$/);
    expect(body.error?.code ?? body.code).toBe('unauthenticated');
  });

  it('gRPC-Web: a body that never ends is answered UNAUTHENTICATED, unread', async () => {
    const headers = { 'content-type': 'application/grpc-web+proto', 'grpc-encoding': 'gzip', 'x-forwarded-for': newAddress() };
    const answer = await unfinishedPost(`${serve.httpUrl}${CONNECT}`, headers, encodeFrame(1, bomb).subarray(0, 4096));
    expect(answer.status).toBe(200);
    expect(parseTrailers(answer.body.subarray(5))['grpc-status']).toBe('16');
  });

  it('plain gRPC: a call whose body never ends is answered UNAUTHENTICATED at once, with its details', async () => {
    const headers = await unfinishedGrpcCall(
      `127.0.0.1:${serve.grpcPort}`,
      CONNECT,
      { 'grpc-encoding': 'gzip', authorization: `Bearer ${WRONG_KEY}`, 'x-forwarded-for': newAddress() },
      encodeFrame(1, bomb),
    );
    expect(headers['grpc-status']).toBe('16');
    const details = decodeStatusDetails(Buffer.from(String(headers['grpc-status-details-bin']), 'base64'));
    expect(details.errorInfo?.reason).toBe('UNKNOWN_API_KEY');
  });

  it('thirty 8 KB bombs on every door cost serve less CPU than parsing one of them', async () => {
    expect(bomb.length).toBeLessThan(9 * 1024);
    const start = process.cpuUsage();
    expect(JSON.parse(gunzipSync(bomb).toString())).toHaveLength(OBJECTS);
    const { user, system } = process.cpuUsage(start);
    const oneParseSeconds = (user + system) / 1e6;

    const before = await serveCpuSeconds();
    for (let i = 0; i < 30; i++) {
      const answers = await Promise.all([
        ...HTTP_DOORS.map((door) => post(door.path, newAddress(), door.headers, bomb).then((a) => a.status)),
        fetch(`${serve.httpUrl}${CONNECT}`, {
          method: 'POST',
          headers: { 'content-type': 'application/grpc-web+proto', 'grpc-encoding': 'gzip', 'x-forwarded-for': newAddress() },
          body: encodeFrame(1, bomb),
        }).then(async (r) => (parseTrailers(new Uint8Array(await r.arrayBuffer()).subarray(5))['grpc-status'] === '16' ? 401 : r.status)),
        unfinishedGrpcCall(`127.0.0.1:${serve.grpcPort}`, CONNECT, { 'grpc-encoding': 'gzip', 'x-forwarded-for': newAddress() }, encodeFrame(1, bomb)).then((h) =>
          h['grpc-status'] === '16' ? 401 : 0,
        ),
      ]);
      expect(answers.every((status) => status === 401)).toBe(true);
    }
    const spent = (await serveCpuSeconds()) - before;
    expect(spent).toBeLessThan(oneParseSeconds);

    // And the doors still ingest.
    const answer = await post(
      CONNECT,
      newAddress(),
      { 'content-type': 'application/json', authorization: `Bearer ${serve.apiKey}` },
      JSON.stringify({ records: [goodRecord(`evt_after_bombs_${run}`)] }),
    );
    expect(answer.status).toBe(200);
  });
});

describe('the throttle of failed authentications', () => {
  it('answers an address 429 with Retry-After on every door after N failures, reading nothing, until its window passes; others are untouched', async () => {
    const attacker = newAddress();
    const json = { 'content-type': 'application/json' };
    const request = IngestRequest.encode({ records: [trackRecord(`evt_throttle_${run}`)] }).finish();
    // FAILURE_LIMIT (five) failures, each on another door: they count against the address together.
    expect((await post(CONNECT, attacker, json, '{}')).status).toBe(401);
    expect((await post('/v1/track', attacker, { ...json, authorization: basic(WRONG_KEY) }, '{}')).status).toBe(401);
    expect((await post(INTEMPT_TRACK, attacker, json, '{}')).status).toBe(401);
    expect((await grpcWebIngest(attacker, undefined, request)).status).toBe('16');
    expect((await failureOf(grpcIngest(attacker, WRONG_KEY, {}))).code).toBe(16);

    // Now even the right key is not compared: every door answers the address RESOURCE_EXHAUSTED, with when to retry.
    const good = { ...json, authorization: `Bearer ${serve.apiKey}` };
    const connect = await post(CONNECT, attacker, good, JSON.stringify({ records: [goodRecord(`evt_throttled_${run}`)] }));
    expect([connect.status, connect.body.code, reasonOf(connect.body)]).toEqual([429, 'resource_exhausted', 'AUTH_THROTTLED']);
    expect(Number(connect.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(connect.retryAfter)).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect(connect.body.details?.map((d) => d.type)).toEqual(['google.rpc.ErrorInfo', 'google.rpc.RetryInfo']);
    const segment = await post('/v1/track', attacker, { ...json, authorization: basic(serve.apiKey) }, JSON.stringify({ userId: 'u', event: 'e' }));
    expect([segment.status, segment.body.error]).toEqual([429, expect.objectContaining({ code: 'resource_exhausted', reason: 'AUTH_THROTTLED' })]);
    expect(segment.retryAfter).not.toBeNull();
    const grpcFailure = await failureOf(grpcIngest(attacker, serve.apiKey, { records: [trackRecord(`evt_throttled_grpc_${run}`)] }));
    expect(grpcFailure.code).toBe(8);
    expect(statusDetails(grpcFailure).errorInfo?.reason).toBe('AUTH_THROTTLED');
    expect(Number(statusDetails(grpcFailure).retryInfo?.retryDelay?.seconds)).toBeGreaterThan(0);
    const web = await grpcWebIngest(attacker, serve.apiKey, request);
    expect([web.status, web.details?.errorInfo?.reason]).toEqual(['8', 'AUTH_THROTTLED']);
    expect(web.details?.retryInfo?.retryDelay).toBeDefined();
    // A throttled body is not read either: one that never ends is answered.
    const unread = await unfinishedPost(`${serve.httpUrl}/v1/batch`, { ...good, 'content-encoding': 'gzip', 'x-forwarded-for': attacker }, bomb.subarray(0, 4096));
    expect([unread.status, unread.headers.connection]).toEqual([429, 'close']);

    // The right key from another address goes through, on every transport.
    const friend = newAddress();
    expect((await post(CONNECT, friend, good, JSON.stringify({ records: [goodRecord(`evt_friend_${run}`)] }))).status).toBe(200);
    expect((await grpcIngest(friend, serve.apiKey, { records: [trackRecord(`evt_friend_grpc_${run}`)] })).results[0].status).toBe(1);

    // When the window has passed, the attacker's address may try again.
    await waitFor(
      "the attacker's window to pass",
      async () => ((await post(CONNECT, attacker, good, JSON.stringify({ records: [goodRecord(`evt_after_window_${run}`)] }))).status === 200 ? true : undefined),
      (WINDOW_SECONDS + 10) * 1000,
      500,
    );
  });

  it('throttles the admin query the same way: after N wrong admin keys, even the right one is answered 429 with Retry-After; another address is untouched', async () => {
    const attacker = newAddress();
    const sql = 'SELECT 1 AS one';
    for (let i = 0; i < FAILURE_LIMIT; i++) {
      expect((await post('/admin/query', attacker, { authorization: `Bearer wrong-admin-key-${i}-padding` }, sql)).status).toBe(401);
    }
    const throttled = await post('/admin/query', attacker, { authorization: `Bearer ${serve.adminKey}` }, sql);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(throttled.retryAfter)).toBeLessThanOrEqual(WINDOW_SECONDS);
    const friend = await post('/admin/query', newAddress(), { authorization: `Bearer ${serve.adminKey}` }, sql);
    expect([friend.status, friend.body]).toEqual([200, expect.objectContaining({ rows: [{ one: 1 }] })]);
  });

  it('never counts a success: more than N good calls from one address all go through', async () => {
    const busy = newAddress();
    const good = { 'content-type': 'application/json', authorization: `Bearer ${serve.apiKey}` };
    for (let i = 0; i < 2 * FAILURE_LIMIT; i++) {
      expect((await post(CONNECT, busy, good, JSON.stringify({ records: [goodRecord(`evt_busy_${i}_${run}`)] }))).status).toBe(200);
    }
    expect((await grpcIngest(busy, serve.apiKey, { records: [trackRecord(`evt_busy_grpc_${run}`)] })).results[0].status).toBe(1);
  });
});

describe('deep JSON', () => {
  const deep = `${'{"a":'.repeat(9_999)}{}${'}'.repeat(9_999)}`;
  const bodies: readonly [string, string, string][] = [
    ['Connect', CONNECT, `{"records":[{"eventId":"deep","event":{"profileId":"p","track":{"name":"n","data":${deep}}}}]}`],
    ['Segment batch', '/v1/batch', `{"batch":[{"type":"track","event":"n","userId":"u","properties":${deep}}]}`],
    ['Segment track', '/v1/track', `{"event":"n","userId":"u","properties":${deep}}`],
    ['Intempt Track', INTEMPT_TRACK, `{"track":[{"name":"n","payload":[{"eventId":"deep","profileId":"p","data":${deep}}]}]}`],
    ['Intempt Consent', INTEMPT_CONSENT, `{"action":"accept","profileId":"p","message":${deep}}`],
  ];

  it.each(bodies)('%s answers 10,000 levels with 400 TOO_DEEP, and logs no failure', async (_, path, body) => {
    const answer = await post(path, newAddress(), { 'content-type': 'application/json', authorization: `Bearer ${serve.apiKey}` }, body);
    expect([answer.status, reasonOf(answer.body)]).toEqual([400, 'TOO_DEEP']);
    expect(answer.body.error?.code ?? answer.body.code).toBe('invalid_argument');
    expect(serve.output()).not.toContain('failed unexpectedly');
  });

  it('leaves a payload deeper than the contract allows, but within the bound, to its record: rejected alone', async () => {
    const payload = `${'{"a":'.repeat(19)}{}${'}'.repeat(19)}`;
    const records = `[${JSON.stringify(goodRecord(`evt_shallow_${run}`))},{"eventId":"evt_deeper_${run}","timestamp":"${new Date().toISOString()}","event":{"profileId":"p","track":{"name":"n","data":${payload}}}}]`;
    const answer = await post(CONNECT, newAddress(), { 'content-type': 'application/json', authorization: `Bearer ${serve.apiKey}` }, `{"records":${records}}`);
    expect(answer.body.results.map((r) => r.status)).toEqual(['RECORD_STATUS_ACCEPTED', 'RECORD_STATUS_REJECTED']);
    expect(answer.body.results[1].violations?.[0].reason).toBe('TOO_DEEP');
  });
});

describe('strings that are not Unicode', () => {
  const LONE = '\ud800';
  const good = () => ({ 'content-type': 'application/json', authorization: `Bearer ${serve.apiKey}` });
  const verdicts = (results: Result[]) =>
    results.map((r) => [
      r.status.replace('RECORD_STATUS_', ''),
      r.violations?.[0]?.field ?? r.records?.find((x) => x.violations?.length)?.violations?.[0].field,
      r.violations?.[0]?.reason ?? r.records?.find((x) => x.violations?.length)?.violations?.[0].reason,
    ]);

  it('rejects each record holding a lone surrogate, naming the field, and stores its siblings (Connect)', async () => {
    const kept = `evt_unicode_connect_${run}`;
    const records = [
      goodRecord(kept),
      { ...goodRecord(`evt_lone_a_${run}${LONE}`) },
      { ...goodRecord(`evt_lone_b_${run}`), event: { profileId: `prf${LONE}`, track: { name: 'Probe' } } },
      { ...goodRecord(`evt_lone_c_${run}`), event: { profileId: 'p', track: { name: `Probe${LONE}` } } },
      { ...goodRecord(`evt_lone_d_${run}`), event: { profileId: 'p', track: { name: 'Probe', data: { [`key${LONE}`]: 1 } } } },
    ];
    const body = JSON.stringify({ records });
    expect(body).toContain('\\ud800');
    const answer = await post(CONNECT, newAddress(), good(), body);
    expect(answer.status).toBe(200);
    expect(verdicts(answer.body.results)).toEqual([
      ['ACCEPTED', undefined, undefined],
      ['REJECTED', 'event_id', 'INVALID_FORMAT'],
      ['REJECTED', 'event.profile_id', 'INVALID_FORMAT'],
      ['REJECTED', 'event.track.name', 'INVALID_FORMAT'],
      ['REJECTED', 'event.track.data', 'INVALID_FORMAT'],
    ]);
    expect(answer.body.results[2].violations?.[0].message).toBe('event.profile_id holds a lone surrogate (such as \\ud800), which is not Unicode and cannot be stored.');
    await waitFor('the sibling in ClickHouse', async () => ((await events([kept])).length === 1 ? true : undefined), 60_000, 200);
  });

  it('does the same for Segment and Intempt, where distinct ids would otherwise collide', async () => {
    const kept = `evt_unicode_segment_${run}`;
    const batch = [
      { type: 'track', messageId: kept, userId: 'u', event: 'Probe' },
      { type: 'track', messageId: `evt_seg_a_${run}`, anonymousId: 'anon', userId: `u${LONE}`, event: 'Probe' },
      { type: 'track', messageId: `evt_seg_b_${run}`, anonymousId: 'anon', userId: 'u\udbff', event: 'Probe' },
      { type: 'identify', messageId: `evt_seg_c_${run}`, userId: 'u', traits: { name: `Jo${LONE}` } },
    ];
    const segment = await post('/v1/batch', newAddress(), good(), JSON.stringify({ batch }));
    expect(segment.status).toBe(400);
    expect(verdicts(segment.body.results)).toEqual([
      ['ACCEPTED', undefined, undefined],
      ['REJECTED', 'event.user_id', 'INVALID_FORMAT'],
      ['REJECTED', 'event.user_id', 'INVALID_FORMAT'],
      ['REJECTED', 'event.identify.user_attributes', 'INVALID_FORMAT'],
    ]);
    const keptIntempt = `evt_unicode_intempt_${run}`;
    const payload = [
      { eventId: keptIntempt, profileId: 'p', timestamp: Date.now() - 1000 },
      { eventId: `evt_int_a_${run}`, profileId: `p${LONE}`, timestamp: Date.now() - 1000 },
    ];
    const intempt = await post(INTEMPT_TRACK, newAddress(), good(), JSON.stringify({ track: [{ name: 'Probe', payload }] }));
    expect(verdicts(intempt.body.results)).toEqual([
      ['ACCEPTED', undefined, undefined],
      ['REJECTED', 'event.profile_id', 'INVALID_FORMAT'],
    ]);
    await waitFor('the siblings in ClickHouse', async () => ((await events([kept, keptIntempt])).length === 2 ? true : undefined), 60_000, 200);
    expect(await events([`evt_seg_a_${run}`, `evt_seg_b_${run}`, `evt_seg_c_${run}`, `evt_int_a_${run}`])).toEqual([]);
  });
});
