/**
 * Tracking plans against a real `serve` (its nats-server and ClickHouse):
 * three sources with one plan, in `report`, `omit` and `block` mode, get the
 * same records (a valid one; a required property missing; a wrong type; a
 * property the event does not allow; an unplanned event name; identify
 * attributes breaking a format and an enum). Each gives exactly its
 * violation at its path; `report` stores all as sent, `omit` stores the
 * trimmed properties exactly, `block` stores only the valid one. A changed
 * plan is in force without a restart and its violations carry its version;
 * `plan check` catches a breaking change and passes a compatible one; `plan
 * infer` drafts a plan that the records it was drafted from pass.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRecord, DEFAULT_LIMITS } from '../../../src/contract';
import { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { parsePlan } from '../../../src/plan/parse-plan';
import { recordPlanCheck } from '../../../src/plan/record-plan-check';
import { startCli } from '../../helpers/cli-process';
import { NatsServer } from '../../helpers/nats-server';
import { connectCall, unique } from '../../helpers/privacy-calls';
import { ServeProcess } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(180_000);

const MODES = ['report', 'omit', 'block'] as const;
type Mode = (typeof MODES)[number];
const keys: { [source: string]: string } = Object.fromEntries([...MODES, 'drafted'].map((source) => [source, `${source}-key-${randomBytes(8).toString('hex')}`]));

/** The plan: one event, identify attributes, no other events or properties. */
const planV1 = {
  version: '1',
  allowUnplannedEvents: false,
  track: {
    'Order Completed': {
      properties: { total: { type: 'number', minimum: 0 }, currency: { type: 'string', enum: ['USD', 'EUR'] } },
      required: ['total'],
      additionalProperties: false,
    },
  },
  identify: { properties: { email: { type: 'string', format: 'email' }, plan: { type: 'string', enum: ['free', 'pro'] } } },
};

let dir: string;
let nats: NatsServer;
let serve: ServeProcess;
const planFile = () => join(dir, 'plans', 'checkout.json');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-plans-'));
  const line = (source: string) => `sha256:${createHash('sha256').update(keys[source]).digest('hex')}=${source}\n`;
  writeFileSync(join(dir, 'keys'), Object.keys(keys).map(line).join(''));
  mkdirSync(join(dir, 'plans'));
  writeFileSync(planFile(), JSON.stringify(planV1, null, 2));
  const sources = Object.fromEntries(MODES.map((mode) => [mode, { plan: { file: 'plans/checkout.json', mode } }]));
  writeFileSync(join(dir, 'sources.json'), JSON.stringify({ sources }));
  nats = await NatsServer.start();
  serve = await ServeProcess.start(nats.url, { TRIBUTARY_API_KEYS_FILE: join(dir, 'keys'), TRIBUTARY_SOURCES_FILE: join(dir, 'sources.json') });
});
afterAll(async () => {
  await serve?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const track = (name: string, data: object) => ({ eventId: unique('evt'), timestamp: new Date().toISOString(), event: { profileId: 'p1', track: { name, data } } });
const identify = (userAttributes: object) => ({ eventId: unique('idf'), timestamp: new Date().toISOString(), event: { profileId: 'p1', userId: 'u1', identify: { userAttributes } } });

/**
 * The records each source is sent, with the violations each must give (field, reason, and the action of `omit` mode), and
 * what `omit` stores of its payload (undefined: as sent).
 */
const cases = () => [
  { record: track('Order Completed', { total: 12.5, currency: 'EUR' }), violations: [] as string[][], omitted: undefined as object | undefined },
  { record: track('Order Completed', { currency: 'USD' }), violations: [['event.track.data.total', 'REQUIRED_MISSING', 'REPORTED']], omitted: undefined },
  {
    record: track('Order Completed', { total: 12.5, currency: 7 }),
    violations: [
      ['event.track.data.currency', 'DATATYPE_MISMATCH', 'OMITTED'],
      ['event.track.data.currency', 'ENUM', 'OMITTED'],
    ],
    omitted: { total: 12.5 },
  },
  // A required property of the wrong type is reported, not omitted: removing it would break the plan another way.
  { record: track('Order Completed', { total: '12.50', currency: 'USD' }), violations: [['event.track.data.total', 'DATATYPE_MISMATCH', 'REPORTED']], omitted: undefined },
  { record: track('Order Completed', { total: 3, gift: true }), violations: [['event.track.data.gift', 'ADDITIONAL_PROPERTY', 'OMITTED']], omitted: { total: 3 } },
  { record: track('Order Complete', { total: 3 }), violations: [['event.track.name', 'UNPLANNED_EVENT', 'REPORTED']], omitted: undefined },
  {
    record: identify({ email: 'not-an-email', plan: 'platinum', seats: 4 }),
    violations: [
      ['event.identify.user_attributes.email', 'FORMAT', 'OMITTED'],
      ['event.identify.user_attributes.plan', 'ENUM', 'OMITTED'],
    ],
    omitted: { seats: 4 },
  },
];

/** Sends `records` as `source`; gives each result. */
async function send(source: string, records: object[]): Promise<{ status: string; violations?: { field: string; reason: string; message: string }[] }[]> {
  const { status, body } = await connectCall(serve.httpUrl, '/tributary.ingest.v1.IngestService/Ingest', keys[source], { records });
  if (status !== 200) throw new Error(`ingest answered ${status}: ${JSON.stringify(body)}`);
  return body.results as { status: string; violations?: { field: string; reason: string; message: string }[] }[];
}

/** Rethrows `error` with the end of what serve wrote. */
const withOutput = (error: Error): never => {
  throw new Error(`${error.message}; serve wrote: ${serve.output().slice(-4000)}`);
};

/** The stored rows of `ids`, once there are `expected` of them: each id's payload as a JSON value. */
async function stored(ids: string[], expected: number): Promise<Map<string, unknown>> {
  const list = ids.map((id) => `'${id}'`).join(', ');
  const rows = await waitFor(
    `${expected} rows to be stored`,
    async () => {
      const found = await serve.query<{ event_id: string; call: string; properties: string; user_attributes: string }>(
        `SELECT event_id, call, properties, user_attributes FROM events FINAL WHERE event_id IN (${list})`,
      );
      return found.length === expected ? found : undefined;
    },
    60_000,
    200,
  ).catch(withOutput);
  return new Map(rows.map((row) => [row.event_id, JSON.parse(row.call === 'identify' ? row.user_attributes : row.properties)]));
}

/** The plan_violations rows of `ids`, once there are `expected`: field, reason, action, version. */
async function violationRows(ids: string[], expected: number): Promise<string[][]> {
  const list = ids.map((id) => `'${id}'`).join(', ');
  return waitFor(
    `${expected} plan violations to be stored`,
    async () => {
      const rows = await serve.query<{ event_id: string; field: string; reason: string; action: string; plan_version: string }>(
        `SELECT event_id, field, reason, action, plan_version FROM plan_violations FINAL WHERE event_id IN (${list})`,
      );
      return rows.length === expected ? rows.map((r) => [r.event_id, r.field, r.reason, r.action, r.plan_version]).sort() : undefined;
    },
    60_000,
    200,
  ).catch(withOutput);
}

describe.each(MODES)('a source in %s mode', (mode: Mode) => {
  it('gives each record exactly its violations, and stores what the mode keeps', async () => {
    const sent = cases();
    const results = await send(
      mode,
      sent.map((c) => c.record),
    );
    const ids = sent.map((c) => c.record.eventId);
    const expectedRows = sent.flatMap((c, i) =>
      c.violations.map(([field, reason, omitAction]) => [ids[i], field, reason, mode === 'block' ? 'BLOCKED' : mode === 'omit' ? omitAction : 'REPORTED', '1']),
    );
    if (mode === 'block') {
      expect(results.map((r) => r.status)).toEqual(['RECORD_STATUS_ACCEPTED', ...Array(sent.length - 1).fill('RECORD_STATUS_REJECTED')]);
      results.forEach((r, i) => expect((r.violations ?? []).map((v) => [v.field, v.reason])).toEqual(sent[i].violations.map(([field, reason]) => [field, reason])));
      expect(results[3].violations?.[0].message).toBe('expected number, got string');
    } else {
      expect(results.every((r) => r.status === 'RECORD_STATUS_ACCEPTED')).toBe(true);
    }
    expect(await violationRows(ids, expectedRows.length)).toEqual(expectedRows.sort());

    const kept = await stored(ids, mode === 'block' ? 1 : sent.length);
    sent.forEach((c, i) => {
      const data = 'track' in c.record.event ? c.record.event.track.data : c.record.event.identify.userAttributes;
      if (mode === 'block') expect(kept.get(ids[i])).toEqual(i === 0 ? data : undefined);
      else expect(kept.get(ids[i])).toEqual(mode === 'omit' ? (c.omitted ?? data) : data);
    });
  });
});

it('puts a changed plan in force without a restart, its violations carrying its version', async () => {
  writeFileSync(
    planFile(),
    JSON.stringify(
      { ...planV1, version: '2', track: { 'Order Completed': { ...planV1.track['Order Completed'], properties: { ...planV1.track['Order Completed'].properties, total: { type: 'integer' } } } } },
      null,
      2,
    ),
  );
  // A total of 2.5 passes version 1 and breaks version 2: sent until version 2 judges it.
  const record = await waitFor(
    'the changed plan to be in force',
    async () => {
      const candidate = track('Order Completed', { total: 2.5 });
      const [result] = await send('block', [candidate]);
      return result.status === 'RECORD_STATUS_REJECTED' ? candidate : undefined;
    },
    10_000,
    250,
  );
  expect(await violationRows([record.eventId], 1)).toEqual([[record.eventId, 'event.track.data.total', 'DATATYPE_MISMATCH', 'BLOCKED', '2']]);
});

it('refuses a changed plan that does not parse, naming its file and line, and keeps the last good one', async () => {
  writeFileSync(planFile(), '{\n  "version": "3",\n  "track": { "Order Completed": { "properties": { "total": { "type": "decimal" } } } }\n}\n');
  // The log is JSON: the quotes around the event's name are escaped there.
  const refusal = `${planFile()} line 3: track[\\"Order Completed\\"].properties.total.type must be one of`;
  await waitFor('the refusal to be logged', () => (serve.output().includes(refusal) ? true : undefined), 10_000, 200);
  const [result] = await send('block', [track('Order Completed', { total: 2.5 })]);
  expect(result.violations?.map((v) => v.reason)).toEqual(['DATATYPE_MISMATCH']);
});

/** Runs the CLI with `args` to its end; gives its exit code and output. */
async function cli(args: string[]): Promise<{ code: number | string; output: string }> {
  const run = startCli(args, { TRIBUTARY_ADMIN_KEY: serve.adminKey });
  return { code: await run.exited, output: run.output() };
}

it('plan check catches a breaking change and passes a compatible one', async () => {
  const write = (name: string, plan: object) => {
    writeFileSync(join(dir, name), JSON.stringify(plan));
    return join(dir, name);
  };
  const old = write('old.json', planV1);
  const required = write('required.json', { ...planV1, version: '2', track: { 'Order Completed': { ...planV1.track['Order Completed'], required: ['total', 'currency'] } } });
  const wider = write('wider.json', { ...planV1, version: '2', track: { ...planV1.track, Refunded: { properties: {} } } });
  const breaking = await cli(['plan', 'check', old, required]);
  expect(breaking.code).toBe(1);
  expect(breaking.output).toContain('BREAKING track["Order Completed"].currency: becomes required');
  const compatible = await cli(['plan', 'check', old, wider]);
  expect(compatible).toEqual({ code: 0, output: expect.stringContaining('compatible') });
});

it('plan infer drafts a plan that the records it was drafted from pass', async () => {
  const records = [
    track('Cart Viewed', { items: 3, value: 9.5, coupon: 'X1' }),
    track('Cart Viewed', { items: 1, value: 4 }),
    track('Searched', { query: 'wine', filters: ['red'] }),
    identify({ email: 'a@example.com', vip: true, address: { city: 'Oslo' } }),
  ];
  expect((await send('drafted', records)).every((r) => r.status === 'RECORD_STATUS_ACCEPTED')).toBe(true);
  await stored(
    records.map((r) => r.eventId),
    records.length,
  );
  const run = await cli(['plan', 'infer', '--source', 'drafted', '--since', '1h', '--address', `127.0.0.1:${serve.httpPort}`]);
  expect(run.code).toBe(0);
  const plan = parsePlan('draft.json', run.output);
  expect([...plan.track.keys()].sort()).toEqual(['Cart Viewed', 'Searched']);
  expect(plan.track.get('Cart Viewed')?.required).toEqual(['items', 'value']);
  for (const json of records) {
    const bytes = Record.encode(Record.fromJSON(json)).finish();
    const decoded = decodeRecord(bytes, DEFAULT_LIMITS);
    if (!('record' in decoded)) throw new Error('a sent record did not decode');
    expect(recordPlanCheck(plan, decoded.record, bytes, decoded.payload)).toEqual([]);
  }
});
