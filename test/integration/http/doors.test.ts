/**
 * The HTTP doors against a real `serve` (its own process, a test nats-server,
 * the embedded ClickHouse), with plain HTTP and with Segment's own Node
 * library: Intempt's and Segment's documented example bodies as fixtures,
 * the Connect protocol over fetch and `buf curl`, retries answered DUPLICATE
 * with one row, a gzip body and a gzip bomb, bad JSON, a wrong key, a
 * rejected item beside stored ones, and context filled from the connection
 * (for gRPC-Web too, where a browser cannot set it for the bridge); every
 * whole-call failure in the documented error shape, and Segment's writeKey in
 * a small body without an authorization header, and only there.
 * Each test waits for its rows in ClickHouse through serve's admin query.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Analytics } from '@segment/analytics-node';
import { IngestRequest, IngestResponse } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { grpcWebCall } from '../../../sdk/src/grpc-web/fetch-call';
import { NatsServer } from '../../helpers/nats-server';
import { ServeProcess } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(120_000);
let nats: NatsServer;
let serve: ServeProcess;

const HTTP_FIXTURES = join(__dirname, '..', '..', 'fixtures', 'http');
const fixture = (name: string): { [key: string]: unknown } => JSON.parse(readFileSync(join(HTTP_FIXTURES, `${name}.json`), 'utf8'));
const run = Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  nats = await NatsServer.start();
  serve = await ServeProcess.start(nats.url);
});
afterAll(async () => {
  await serve?.stop();
  await nats?.stop();
});

type Violation = { readonly field: string; readonly reason: string };
type Result = { readonly eventId: string; readonly status: string; readonly violations?: Violation[]; readonly records?: { readonly violations?: Violation[] }[] };
/** Whatever a door answers: results, a door's error, or a Connect error. */
type Answer = {
  readonly results: Result[];
  readonly error: { readonly code: string; readonly reason: string; readonly message: string };
  readonly code: string;
  readonly message: string;
  readonly details: { readonly type: string }[];
};

/** A POST of JSON (or of `raw` bytes) to `path`; the status and the parsed answer. */
async function post(path: string, body: unknown, headers: { [name: string]: string } = {}, raw?: Buffer): Promise<{ status: number; body: Answer }> {
  const response = await fetch(`${serve.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw ?? JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

const bearer = () => ({ authorization: `Bearer ${serve.apiKey}` });
const basic = (key = serve.apiKey) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });
const ids = (body: Answer) => body.results.map((r) => r.eventId);
const statuses = (body: Answer) => body.results.map((r) => r.status.replace('RECORD_STATUS_', ''));

/** The events stored (FINAL) with these ids, once all of them are there; the raw row count beside. */
async function storedEvents(eventIds: readonly string[]): Promise<{ rows: { [column: string]: string }[]; raw: number }> {
  const list = eventIds.map((id) => `'${id.replace(/'/g, "''")}'`).join(',');
  const rows = await waitFor(
    `events ${eventIds.join(', ')} in ClickHouse`,
    async () => {
      const found = await serve.query<{ [column: string]: string }>(
        `SELECT event_id, call, name, profile_id, user_id, account_id, another_user_id, properties, user_attributes, account_attributes, context, consent_action, consent_email, page_url FROM tributary.events FINAL WHERE event_id IN (${list}) ORDER BY event_id`,
      );
      return found.length === eventIds.length ? found : undefined;
    },
    60_000,
    200,
  );
  const [{ n }] = await serve.query<{ n: string }>(`SELECT count() AS n FROM tributary.events WHERE event_id IN (${list})`);
  return { rows, raw: Number(n) };
}

describe("Intempt's Track data API", () => {
  const path = `/acme/projects/shop/sources/42/track`;

  it('stores the documented example as a track, an identify and a group; a retry is DUPLICATE with one row each', async () => {
    const body = fixture('intempt-track');
    const first = await post(`${path}?apiKey=${serve.apiKey}`, body);
    expect(first.status).toBe(200);
    expect(first.body.results).toHaveLength(1);
    expect(first.body.results[0].status).toBe('RECORD_STATUS_ACCEPTED');
    const again = await post(path, body, { authorization: `ApiKey ${serve.apiKey}` });
    expect(again.status).toBe(200);
    expect(again.body.results[0].status).toBe('RECORD_STATUS_DUPLICATE');

    const { rows, raw } = await storedEvents(['evt_intempt_purchase_1', 'evt_intempt_purchase_1:group', 'evt_intempt_purchase_1:identify']);
    expect(raw).toBe(3);
    const [track, group, identify] = rows;
    expect(track).toMatchObject({ call: 'track', name: 'Purchase', profile_id: 'prf_intempt_1', user_id: 'buyer@example.com', account_id: 'acc_intempt_1' });
    expect(JSON.parse(track.properties)).toEqual({ amount: 150, productName: 'Wine', quantity: 4, locationLatitude: 51.509865 });
    expect(JSON.parse(identify.user_attributes)).toEqual({ location: 'USA' });
    expect(JSON.parse(group.account_attributes)).toEqual({ founded: 2000 });
  });

  it('answers 400 for an item that breaks the contract, and stores its sibling', async () => {
    const good = { eventId: `evt_good_${run}`, profileId: 'prf_1', timestamp: Date.now() - 1000, data: { ok: true } };
    const bad = { eventId: `evt_bad_${run}`, timestamp: Date.now() - 1000, data: { ok: false } };
    const answer = await post(path, { track: [{ name: 'Viewed', payload: [good, bad] }] }, bearer());
    expect(answer.status).toBe(400);
    expect(statuses(answer.body)).toEqual(['ACCEPTED', 'REJECTED']);
    expect(answer.body.results[1].records?.[0].violations).toEqual([expect.objectContaining({ field: 'event.profile_id', reason: 'REQUIRED' })]);
    await storedEvents([good.eventId]);
    const [{ n }] = await serve.query<{ n: string }>(`SELECT count() AS n FROM tributary.events WHERE event_id = '${bad.eventId}'`);
    expect(Number(n)).toBe(0);
  });

  it('takes a productId item as product ingestion', async () => {
    const productId = `sku_${run}`;
    const answer = await post(path, { track: [{ name: 'Catalog', payload: [{ eventId: `evt_product_${run}`, productId, data: { name: 'Wine', amount: 150, quantity: 4 } }] }] }, bearer());
    expect(answer.status).toBe(200);
    const rows = await waitFor(
      'the product row',
      async () => {
        const found = await serve.query<{ data: string }>(`SELECT data FROM tributary.products FINAL WHERE product_id = '${productId}'`);
        return found.length === 1 ? found : undefined;
      },
      60_000,
      200,
    );
    expect(JSON.parse(rows[0].data)).toEqual({ name: 'Wine', amount: 150, quantity: 4 });
  });

  it('answers 401 for a missing or unknown key', async () => {
    expect((await post(path, fixture('intempt-track'))).status).toBe(401);
    expect((await post(`${path}?apiKey=not-a-known-key-000`, fixture('intempt-track'))).status).toBe(401);
  });
});

describe("Intempt's Consent API", () => {
  it('derives the event id from the content, so a retry is DUPLICATE, and keys the profile by email', async () => {
    const path = `/acme/projects/shop/consents/data?apiKey=${serve.apiKey}`;
    const body = fixture('intempt-consent');
    const first = await post(path, body);
    expect(first.status).toBe(200);
    const again = await post(path, body);
    expect(statuses(again.body)).toEqual(['DUPLICATE']);
    expect(ids(again.body)).toEqual(ids(first.body));
    const { rows, raw } = await storedEvents(ids(first.body));
    expect(raw).toBe(1);
    expect(rows[0]).toMatchObject({ call: 'consent', profile_id: 'email:buyer@example.com', consent_action: 'accept', consent_email: 'buyer@example.com' });
  });
});

describe("Segment's calls", () => {
  it('stores the documented batch, gzipped, with the batch context under each message', async () => {
    const answer = await post('/v1/batch', undefined, { ...basic(), 'content-encoding': 'gzip' }, gzipSync(JSON.stringify(fixture('segment-batch'))));
    expect(answer.status).toBe(200);
    expect(statuses(answer.body)).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
    const { rows } = await storedEvents(ids(answer.body));
    const byId = new Map(rows.map((row) => [row.event_id, row]));
    const [identify, track] = ids(answer.body).map((id) => byId.get(id));
    expect(identify).toMatchObject({ call: 'identify', profile_id: '019mr8mf4r', user_id: '019mr8mf4r' });
    expect(JSON.parse(identify?.user_attributes ?? '')).toEqual({ email: 'jake@yahoo.com', name: 'Jake Peavy', age: 26 });
    expect(track).toMatchObject({ call: 'track', name: 'Song Played' });
    expect(JSON.parse(track?.context ?? '')).toMatchObject({ device: { type: 'phone' } });
  });

  it('stores the documented track call; without a messageId, a retry is DUPLICATE; context.ip stays as sent', async () => {
    const first = await post('/v1/track', fixture('segment-track'), basic());
    const again = await post('/v1/track', fixture('segment-track'), basic());
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(statuses(again.body)).toEqual(['DUPLICATE']);
    const { rows, raw } = await storedEvents(ids(first.body));
    expect(raw).toBe(1);
    expect(JSON.parse(rows[0].properties)).toEqual({ name: 'Leap to Conclusions Mat', revenue: 14.99 });
    expect(JSON.parse(rows[0].context)).toMatchObject({ ip: '24.5.68.47' });
  });

  it('works with @segment/analytics-node pointed at serve, and fills context from the connection', async () => {
    const analytics = new Analytics({ writeKey: serve.apiKey, host: serve.httpUrl, maxEventsInBatch: 20, flushInterval: 100 });
    const failures: unknown[] = [];
    analytics.on('error', (error) => failures.push(error));
    const user = `seg_user_${run}`;
    const messageIds = ['track', 'identify', 'page', 'group', 'alias'].map((call) => `seg_${call}_${run}`);
    analytics.track({ messageId: messageIds[0], anonymousId: `anon_${run}`, userId: user, event: 'Order Completed', properties: { total: 42.5, items: [{ sku: 'W-1' }] } });
    analytics.identify({ messageId: messageIds[1], userId: user, traits: { plan: 'pro' } });
    analytics.page({ messageId: messageIds[2], userId: user, name: 'Pricing', properties: { url: 'https://example.com/pricing', path: '/pricing' } });
    analytics.group({ messageId: messageIds[3], userId: user, groupId: `acc_${run}`, traits: { seats: 5 } });
    analytics.alias({ messageId: messageIds[4], userId: user, previousId: `old_${run}` });
    await analytics.closeAndFlush({ timeout: 20_000 });
    expect(failures).toEqual([]);

    const { rows } = await storedEvents(messageIds);
    const byCall = Object.fromEntries(rows.map((row) => [row.call, row]));
    expect(Object.keys(byCall).sort()).toEqual(['alias', 'group', 'identify', 'page', 'track']);
    expect(byCall.track).toMatchObject({ name: 'Order Completed', profile_id: `anon_${run}`, user_id: user });
    expect(JSON.parse(byCall.track.properties)).toEqual({ total: 42.5, items: [{ sku: 'W-1' }] });
    expect(JSON.parse(byCall.identify.user_attributes)).toEqual({ plan: 'pro' });
    expect(byCall.page.page_url).toBe('https://example.com/pricing');
    expect(byCall.group.account_id).toBe(`acc_${run}`);
    expect(byCall.alias.another_user_id).toBe(`old_${run}`);
    // Segment's library sets context.library and no ip: the connection's address and user agent fill the rest.
    expect(JSON.parse(byCall.track.context)).toMatchObject({ library: { name: '@segment/analytics-node' }, ip: '127.0.0.1', userAgent: expect.any(String) });
  });

  it('answers 400 with where JSON broke, 401 for a wrong key, and 413 for a gzip bomb, each with its code and reason', async () => {
    const broken = await post('/v1/track', undefined, basic(), Buffer.from('{"event": "x",}'));
    expect(broken.status).toBe(400);
    expect(broken.body.error).toEqual({ code: 'invalid_argument', reason: 'MALFORMED_REQUEST', message: expect.stringMatching(/not JSON: .*position 14/) });
    const wrongKey = await post('/v1/track', { event: 'x' }, basic('not-a-known-key-000'));
    expect([wrongKey.status, wrongKey.body.error.code, wrongKey.body.error.reason]).toEqual([401, 'unauthenticated', 'UNKNOWN_API_KEY']);
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const answer = await post('/v1/batch', undefined, { ...basic(), 'content-encoding': 'gzip' }, bomb);
    expect(answer.status).toBe(413);
    expect(answer.body.error).toEqual({ code: 'resource_exhausted', reason: 'REQUEST_TOO_LARGE', message: expect.stringMatching(/once gunzipped$/) });
  });

  it('takes a writeKey in a small uncompressed body without an authorization header, and from no other body', async () => {
    const message = { messageId: `seg_writekey_${run}`, userId: 'u_writekey', event: 'Signed Up', writeKey: serve.apiKey };
    const inBody = await post('/v1/track', message);
    expect([inBody.status, statuses(inBody.body)]).toEqual([200, ['ACCEPTED']]);
    const missing = (answer: { status: number; body: Answer }) => [answer.status, answer.body.error.reason];
    const gzipped = await post('/v1/track', undefined, { 'content-encoding': 'gzip' }, gzipSync(JSON.stringify(message)));
    expect(missing(gzipped)).toEqual([401, 'MISSING_API_KEY']);
    expect(gzipped.body.error.message).toContain('uncompressed body of at most 65536 bytes');
    expect(missing(await post('/v1/track', { ...message, properties: { pad: 'x'.repeat(64 * 1024) } }))).toEqual([401, 'MISSING_API_KEY']);
    expect(missing(await post('/v1/track', message, basic('not-a-known-key-000')))).toEqual([401, 'UNKNOWN_API_KEY']);
  });
});

describe('the Connect protocol', () => {
  const path = '/tributary.ingest.v1.IngestService/Ingest';
  const record = (eventId: string) => ({ eventId, timestamp: new Date(Date.now() - 1000).toISOString(), event: { profileId: 'prf_connect', track: { name: 'Clicked', data: { n: 1 } } } });

  it('takes proto3 JSON, answers the IngestResponse, and a rejected record beside a stored one', async () => {
    const answer = await post(path, { records: [record(`evt_connect_${run}`), { eventId: `evt_connect_bad_${run}`, event: { profileId: 'p' } }] }, bearer());
    expect(answer.status).toBe(200);
    expect(statuses(answer.body)).toEqual(['ACCEPTED', 'REJECTED']);
    expect(answer.body.results[1].violations?.map((v) => v.field)).toEqual(['timestamp', 'event.call']);
    await storedEvents([`evt_connect_${run}`]);
  });

  it('answers a Connect error, with the code, its HTTP status and the google.rpc details', async () => {
    const answer = await post(path, { records: [] }, bearer());
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'invalid_argument', message: 'the request has no record' });
    expect(answer.body.details.map((d) => d.type)).toEqual(['google.rpc.ErrorInfo', 'google.rpc.BadRequest']);
    const unauthenticated = await post(path, { records: [record('x')] });
    expect([unauthenticated.status, unauthenticated.body.code]).toEqual([401, 'unauthenticated']);
    const plainText = await post(path, undefined, { ...bearer(), 'content-type': 'text/plain' }, Buffer.from('{}'));
    expect([plainText.status, plainText.body.code, plainText.body.details.map((d) => d.type)]).toEqual([415, 'unimplemented', ['google.rpc.ErrorInfo']]);
  });

  it('serves `buf curl --protocol connect` (binary protobuf)', async () => {
    const buf = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'buf');
    const proto = join(__dirname, '..', '..', '..', 'proto');
    const eventId = `evt_buf_${run}`;
    const { stdout } = await promisify(execFile)(buf, [
      'curl',
      '--protocol',
      'connect',
      '--schema',
      proto,
      '-H',
      `authorization: Bearer ${serve.apiKey}`,
      '-d',
      JSON.stringify({ records: [record(eventId)] }),
      `${serve.httpUrl}${path}`,
    ]);
    expect(JSON.parse(stdout).results).toEqual([{ eventId, status: 'RECORD_STATUS_ACCEPTED', sequence: expect.any(String) }]);
    await storedEvents([eventId]);
  });
});

describe('context from the connection through gRPC-Web', () => {
  it("fills a record's context.ip and user agent from the browser's connection, not from a header the browser sets", async () => {
    const eventId = `evt_grpcweb_${run}`;
    const record = {
      eventId,
      timestamp: new Date(Date.now() - 1000),
      kind: {
        $case: 'event' as const,
        value: { profileId: 'prf_web', userId: '', sessionId: '', accountId: '', pageId: '', context: undefined, call: { $case: 'track' as const, value: { name: 'Viewed', data: { a: 1 } } } },
      },
    };
    const result = await grpcWebCall(`${serve.httpUrl}/tributary.ingest.v1.IngestService/Ingest`, [IngestRequest.encode({ records: [record], sentAt: undefined }).finish()], {
      headers: { authorization: `Bearer ${serve.apiKey}`, 'user-agent': 'door-test/1.0', 'x-tributary-peer-ip': '6.6.6.6' },
    });
    expect(IngestResponse.decode(result.messages[0]).results[0].status).toBe(1);
    const { rows } = await storedEvents([eventId]);
    expect(JSON.parse(rows[0].context)).toEqual({ ip: '127.0.0.1', userAgent: 'door-test/1.0' });
    expect(JSON.parse(rows[0].properties)).toEqual({ a: 1 });
  });
});
