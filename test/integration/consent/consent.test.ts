/**
 * Consent enforced, against a real `serve` and a second `tributary gateway`
 * process on one nats-server, with a sources file that gates two sources:
 * opt-in and opt-out; accept, reject, expiry; a late older decision that
 * does not win; order within one request; decisions through gRPC, the
 * Connect door and Intempt's Consent API; a decision keyed by user id or
 * email applied to the person's profiles through the identity graph, for
 * links made before and after it; both gateways agreeing within 2 s;
 * consent and product records never gated; the sources file reloaded, and
 * a bad one refused; consent_current equal to what the gateways enforce,
 * also for random decisions (a property test against a reference).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import fc from 'fast-check';
import { IngestServiceClient, type IngestResponse } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { ConsentAction, type Record } from '../../../src/gen/tributary/ingest/v1/record';
import type { CliProcess } from '../../helpers/cli-process';
import { NatsServer } from '../../helpers/nats-server';
import { ingestJson, identifyJson as identify, metricValue as metric, startGatewayProcess, trackJson as track, unique } from '../../helpers/privacy-calls';
import { ServeProcess } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(180_000);
/** How soon a decision taken at one gateway must be in force at every gateway. */
const PROPAGATION_MS = 2000;
const DAY_MS = 86_400_000;
let dir: string;
let nats: NatsServer;
let serve: ServeProcess;
let second: CliProcess;
let secondUrl: string;
let grpc: InstanceType<typeof IngestServiceClient>;
const optInKey = `opt-in-key-${randomBytes(8).toString('hex')}`;
const optOutKey = `opt-out-key-${randomBytes(8).toString('hex')}`;
const laterKey = `later-key-${randomBytes(8).toString('hex')}`;
const sourcesFile = () => join(dir, 'sources.json');
const POLICIES = { optin: { consent: { mode: 'opt_in', categories: ['analytics'] } }, optout: { consent: { mode: 'opt_out', categories: ['marketing'] } } };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-consent-'));
  const line = (key: string, source: string) => `sha256:${createHash('sha256').update(key).digest('hex')}=${source}\n`;
  writeFileSync(join(dir, 'keys'), line(optInKey, 'optin') + line(optOutKey, 'optout') + line(laterKey, 'later'));
  writeFileSync(sourcesFile(), JSON.stringify({ sources: POLICIES }));
  nats = await NatsServer.start();
  const stream = `S_${randomBytes(4).toString('hex')}`;
  const shared = { TRIBUTARY_STREAM: stream, TRIBUTARY_SUBJECT_PREFIX: stream.toLowerCase(), TRIBUTARY_API_KEYS_FILE: join(dir, 'keys'), TRIBUTARY_SOURCES_FILE: sourcesFile() };
  serve = await ServeProcess.start(nats.url, shared);
  ({ process: second, url: secondUrl } = await startGatewayProcess({ ...shared, NATS_URL: nats.url, TRIBUTARY_API_KEYS: `${serve.apiKey}=sdk_test`, TRIBUTARY_ADMIN_KEY: serve.adminKey }));
  grpc = new IngestServiceClient(`127.0.0.1:${serve.grpcPort}`, credentials.createInsecure());
});
afterAll(async () => {
  grpc?.close();
  second?.child.kill('SIGTERM');
  await second?.exited;
  await serve?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const product = () => ({ eventId: unique('prd'), product: { productId: unique('sku'), data: { name: 'Wine' } } });
interface ConsentOptions {
  readonly userId?: string;
  readonly email?: string;
  readonly at?: number;
  readonly validUntil?: number;
  readonly source?: string;
}
const consent = (profileId: string, action: 'accept' | 'reject', category: string, o: ConsentOptions = {}) => ({
  eventId: unique('cns'),
  timestamp: new Date(o.at ?? Date.now()).toISOString(),
  event: {
    profileId,
    userId: o.userId ?? '',
    consent: {
      action: `CONSENT_ACTION_${action.toUpperCase()}`,
      category,
      validUntil: new Date(o.validUntil ?? Date.now() + DAY_MS).toISOString(),
      source: o.source ?? 'banner',
      email: o.email ?? '',
    },
  },
});
const ACCEPTED = 'RECORD_STATUS_ACCEPTED';
const NO_CONSENT = 'RECORD_STATUS_DROPPED/DROP_REASON_NO_CONSENT';
const REJECTED = 'RECORD_STATUS_DROPPED/DROP_REASON_CONSENT_REJECTED';
const EXPIRED = 'RECORD_STATUS_DROPPED/DROP_REASON_CONSENT_EXPIRED';
/** Waits until `records` sent with `key` (fresh event ids at each try) are answered `expected`; gives the answer. */
const eventually = (what: string, url: string, key: string, records: () => unknown[], expected: string[], timeoutMs = 10_000) =>
  waitFor(
    what,
    async () => {
      const answer = await ingestJson(url, key, records());
      return JSON.stringify(answer) === JSON.stringify(expected) ? answer : undefined;
    },
    timeoutMs,
    50,
  );

it('drops an opt-in source until the person accepts, in request order, and never gates consent or product records', async () => {
  const profile = unique('p');
  const at = (agoMs: number) => ({ at: Date.now() - agoMs });
  expect(await ingestJson(serve.httpUrl, optInKey, [track(profile), product(), consent(profile, 'accept', 'analytics', at(3000)), track(profile)])).toEqual([NO_CONSENT, ACCEPTED, ACCEPTED, ACCEPTED]);
  const records = [track(profile), consent(profile, 'reject', 'analytics', at(2000)), track(profile), consent(profile, 'accept', 'analytics', at(1000)), track(profile)];
  expect(await ingestJson(serve.httpUrl, optInKey, records)).toEqual([ACCEPTED, ACCEPTED, REJECTED, ACCEPTED, ACCEPTED]);
  // An accept for another category is no accept for the one the source needs.
  const other = unique('p');
  expect(await ingestJson(serve.httpUrl, optInKey, [consent(other, 'accept', 'marketing'), track(other)])).toEqual([ACCEPTED, NO_CONSENT]);
  expect(await metric(serve.httpUrl, 'tributary_records_dropped_total{source="optin",reason="no_consent"}')).toBeGreaterThanOrEqual(2);
  // Nothing of a dropped record reaches storage.
  await waitFor('the consent records stored', async () =>
    (await serve.query<{ n: number }>(`SELECT count() AS n FROM tributary.events_final WHERE profile_id = '${other}'`))[0].n === 1 ? true : undefined,
  );
  const calls = await serve.query<{ call: string }>(`SELECT call FROM tributary.events_final WHERE profile_id = '${other}'`);
  expect(calls).toEqual([{ call: 'consent' }]);
});

it('keeps an opt-out source until the person rejects, and lets an expired accept count as no decision', async () => {
  const profile = unique('p');
  expect(await ingestJson(serve.httpUrl, optOutKey, [track(profile)])).toEqual([ACCEPTED]);
  const expiredAccept = consent(profile, 'accept', 'marketing', { at: Date.now() - 60_000, validUntil: Date.now() - 1000 });
  expect(await ingestJson(serve.httpUrl, optOutKey, [expiredAccept, track(profile)])).toEqual([ACCEPTED, ACCEPTED]);
  expect(await ingestJson(serve.httpUrl, optOutKey, [consent(profile, 'reject', 'marketing'), track(profile)])).toEqual([ACCEPTED, REJECTED]);
  // An expired accept at an opt-in source is CONSENT_EXPIRED; one still valid is in force.
  const [a, b] = [unique('p'), unique('p')];
  expect(await ingestJson(serve.httpUrl, optInKey, [consent(a, 'accept', 'analytics', { at: Date.now() - 60_000, validUntil: Date.now() - 1000 }), track(a)])).toEqual([ACCEPTED, EXPIRED]);
  expect(await ingestJson(serve.httpUrl, optInKey, [consent(b, 'accept', 'analytics', { validUntil: Date.now() + 60_000 }), track(b)])).toEqual([ACCEPTED, ACCEPTED]);
});

it('lets the later decision by its own timestamp win, when an older one arrives late', async () => {
  const profile = unique('p');
  expect(await ingestJson(serve.httpUrl, optInKey, [consent(profile, 'reject', 'analytics', { at: Date.now() - 1000 })])).toEqual([ACCEPTED]);
  await eventually('the reject at the second gateway', secondUrl, optInKey, () => [track(profile)], [REJECTED], PROPAGATION_MS);
  // An accept made an hour earlier, arriving now (a queue that was offline), in the same request as a record after it.
  expect(await ingestJson(secondUrl, optInKey, [consent(profile, 'accept', 'analytics', { at: Date.now() - 3_600_000 }), track(profile)])).toEqual([ACCEPTED, REJECTED]);
  await eventually('the late accept to be refused at the first gateway too', serve.httpUrl, optInKey, () => [track(profile)], [REJECTED]);
});

it('takes decisions through gRPC and Intempt, and enforces them at the other gateway within 2 s', async () => {
  const [viaGrpc, viaIntempt] = [unique('p'), unique('p')];
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${optInKey}`);
  const record: Record = {
    eventId: unique('cns'),
    timestamp: new Date(),
    kind: {
      $case: 'event',
      value: {
        profileId: viaGrpc,
        userId: '',
        sessionId: '',
        accountId: '',
        pageId: '',
        context: undefined,
        call: { $case: 'consent', value: { action: ConsentAction.ACCEPT, category: 'analytics', validUntil: new Date(Date.now() + DAY_MS), source: 'sdk', message: '', email: '' } },
      },
    },
  };
  const answer = await new Promise<IngestResponse>((resolve, reject) =>
    grpc.ingest({ records: [record], sentAt: undefined }, metadata, (error, response) => (error === null ? resolve(response) : reject(error))),
  );
  expect(answer.results.map((r) => r.status)).toEqual([1]);
  const intempt = await fetch(`${serve.httpUrl}/acme/projects/shop/consents/data?apiKey=${optInKey}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'accept', timestamp: Date.now(), validUntil: Date.now() + DAY_MS, source: 'banner', category: 'analytics', profileId: viaIntempt }),
  });
  expect(intempt.status).toBe(200);
  await eventually('both decisions at the second gateway', secondUrl, optInKey, () => [track(viaGrpc), track(viaIntempt)], [ACCEPTED, ACCEPTED], PROPAGATION_MS);
});

it("applies a decision keyed by user id or email to the person's profiles, linked before or after it", async () => {
  const [phone, laptop, user] = [unique('phone'), unique('laptop'), unique('u')];
  const email = `${unique('e')}@example.com`;
  // Linked before: a profile identified by the email the decision names.
  expect(await ingestJson(serve.httpUrl, serve.apiKey, [identify(phone, email)])).toEqual([ACCEPTED]);
  await waitFor('the identify linked', async () =>
    (await serve.query<{ n: number }>(`SELECT count() AS n FROM tributary.identity_links WHERE right_node = 'user:${email}'`))[0].n === 1 ? true : undefined,
  );
  const byEmail = await fetch(`${serve.httpUrl}/acme/projects/shop/consents/data?apiKey=${serve.apiKey}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'accept', timestamp: Date.now(), validUntil: Date.now() + DAY_MS, source: 'banner', category: 'analytics', email }),
  });
  expect(byEmail.status).toBe(200);
  await eventually('the email decision on the linked profile', serve.httpUrl, optInKey, () => [track(phone)], [ACCEPTED]);
  // Linked after: a decision by user id, then a new device identified as that user.
  expect(await ingestJson(serve.httpUrl, serve.apiKey, [consent(unique('p'), 'accept', 'analytics', { userId: user })])).toEqual([ACCEPTED]);
  // The decision spread before the link is made, so the link is what brings it to the laptop.
  await waitFor('the decision applied to the user', async () =>
    (await serve.query<{ n: number }>(`SELECT count() AS n FROM tributary.consent_decisions WHERE subject = '${user}'`))[0].n > 0 ? true : undefined,
  );
  expect(await ingestJson(serve.httpUrl, optInKey, [track(laptop)])).toEqual([NO_CONSENT]);
  expect(await ingestJson(serve.httpUrl, serve.apiKey, [identify(laptop, user)])).toEqual([ACCEPTED]);
  await eventually('the decision on the profile linked after it', secondUrl, optInKey, () => [track(laptop)], [ACCEPTED]);
  // Two ids of one person with different decisions: the later wins, on every id.
  expect(await ingestJson(serve.httpUrl, serve.apiKey, [consent(laptop, 'reject', 'analytics')])).toEqual([ACCEPTED]);
  await eventually("the laptop's later reject on the user's other profile", serve.httpUrl, optInKey, () => [track(laptop), track(unique('p'), user)], [REJECTED, REJECTED]);
});

it('reloads the sources file without a restart, and keeps the last good one when a change is bad', async () => {
  const profile = unique('p');
  expect(await ingestJson(serve.httpUrl, laterKey, [track(profile)])).toEqual([ACCEPTED]);
  writeFileSync(sourcesFile(), JSON.stringify({ sources: { ...POLICIES, later: { consent: { mode: 'opt_in', categories: ['analytics'] } } } }));
  await eventually('the new policy at the first gateway', serve.httpUrl, laterKey, () => [track(profile)], [NO_CONSENT]);
  await eventually('the new policy at the second gateway', secondUrl, laterKey, () => [track(profile)], [NO_CONSENT]);
  writeFileSync(sourcesFile(), JSON.stringify({ sources: { ...POLICIES, later: { consent: { mode: 'opt-in' } } } }));
  const readyz = await waitFor(
    'the bad file refused, as /readyz says',
    async () => {
      const body = (await (await fetch(`${serve.httpUrl}/readyz`)).json()) as { ready: boolean; notices?: { [part: string]: string } };
      return body.notices?.['sources file'] === undefined ? undefined : body;
    },
    10_000,
    100,
  );
  expect(readyz.ready).toBe(true);
  expect(readyz.notices?.['sources file']).toMatch(/refused .* the last good one stays in force/);
  await waitFor('the problem in the log', () => (serve.output().includes('sources.later.consent.mode must be \\"opt_in\\" or \\"opt_out\\"') ? true : undefined));
  expect(await ingestJson(serve.httpUrl, laterKey, [track(profile)])).toEqual([NO_CONSENT]);
  writeFileSync(sourcesFile(), JSON.stringify({ sources: POLICIES }));
  await eventually('the policy lifted', serve.httpUrl, laterKey, () => [track(profile)], [ACCEPTED]);
});

/** What consent_current says of `subjects` for `category`. */
async function currentOf(subjects: readonly string[], category: string): Promise<Map<string, { action: string; decided_at: string; valid_until: string }>> {
  const rows = await serve.query<{ subject: string; action: string; decided_at: string; valid_until: string }>(
    `SELECT subject, action, decided_at, valid_until FROM tributary.consent_current WHERE category = '${category}' AND subject IN (${subjects.map((s) => `'${s}'`).join(', ')})`,
  );
  return new Map(rows.map((r) => [r.subject, r]));
}

/** Epoch ms of a DateTime64 as ClickHouse writes it (UTC). */
const msOf = (dateTime: string): number => Date.parse(`${dateTime.replace(' ', 'T')}Z`);

/** The answer an opt-in `analytics` source gives a record of a subject, by what consent_current says. */
const byView = (row: { action: string; valid_until: string } | undefined): string =>
  row === undefined ? NO_CONSENT : row.action === 'reject' ? REJECTED : msOf(row.valid_until) <= Date.now() ? EXPIRED : ACCEPTED;

it('keeps consent_current equal to what the gateways enforce, for random decisions over a person with several ids', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          named: fc.constantFrom(0, 1, 2),
          accept: fc.boolean(),
          ageMs: fc.integer({ min: 1000, max: 60_000 }),
          // Expired well before the checks, or valid well after them.
          validForMs: fc.oneof(fc.integer({ min: -30_000, max: -1000 }), fc.integer({ min: 60_000, max: 600_000 })),
          gateway: fc.boolean(),
        }),
        { minLength: 1, maxLength: 6 },
      ),
      async (decisions) => {
        // Two profiles of one user: the decisions name any of the three ids.
        const [p1, p2, user] = [unique('p1'), unique('p2'), unique('u')];
        expect(await ingestJson(serve.httpUrl, serve.apiKey, [identify(p1, user), identify(p2, user)])).toEqual([ACCEPTED, ACCEPTED]);
        await waitFor('the two identifies linked', async () =>
          (await serve.query<{ n: number }>(`SELECT count() AS n FROM tributary.identity_links WHERE right_node = 'user:${user}'`))[0].n === 2 ? true : undefined,
        );
        const now = Date.now();
        for (const d of decisions) {
          const at = now - d.ageMs;
          const options = { at, validUntil: at + d.ageMs + d.validForMs, ...(d.named === 2 ? { userId: user } : {}) };
          const record = consent(d.named === 1 ? p2 : p1, d.accept ? 'accept' : 'reject', 'analytics', options);
          expect(await ingestJson(d.gateway ? serve.httpUrl : secondUrl, serve.apiKey, [record])).toEqual([ACCEPTED]);
        }
        // The reference: the decisions sorted by their timestamps; the last decides (ties: a reject, then the later valid_until).
        const last = [...decisions].sort((a, b) => b.ageMs - a.ageMs || Number(!a.accept) - Number(!b.accept) || a.validForMs - b.validForMs).at(-1);
        const expected = last === undefined || !last.accept ? REJECTED : last.validForMs <= 0 ? EXPIRED : ACCEPTED;
        const subjects = [p1, p2, user];
        await eventually('every id to answer as the reference says', secondUrl, optInKey, () => [track(p1), track(p2), track(unique('p'), user)], [expected, expected, expected]);
        await eventually('the first gateway to agree', serve.httpUrl, optInKey, () => [track(p1), track(p2), track(unique('p'), user)], [expected, expected, expected]);
        // Once the identity stage has spread the latest decision to every id, the view says what the gateways enforce.
        const latestAt = now - Math.min(...decisions.map((d) => d.ageMs));
        const view = await waitFor('the latest decision in consent_current for every id', async () => {
          const rows = await currentOf(subjects, 'analytics');
          return subjects.every((s) => rows.get(s) !== undefined && msOf(rows.get(s)?.decided_at ?? '') === latestAt) ? rows : undefined;
        });
        expect(subjects.map((s) => byView(view.get(s)))).toEqual([expected, expected, expected]);
      },
    ),
    { numRuns: 6 },
  );
});
