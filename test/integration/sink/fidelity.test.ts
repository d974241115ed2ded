/**
 * Stored exactly as sent: every free-form bag (track and page properties,
 * identify and group attributes, the context, product data) reads back from
 * ClickHouse as the same JSON value the producer sent, one case per kind of
 * value; a key whose values are whole numbers and fractions reads back with
 * one typed read; and a hot key promoted to a MATERIALIZED column, as
 * docs/sink.md shows, is filled for old and new rows.
 */
import type { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { count, select } from '../../helpers/clickhouse';
import { drained, SinkHarness } from '../../helpers/sink-harness';

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const nested = (depth: number): JsonValue => (depth === 1 ? { leaf: 'bottom' } : { level: depth, inner: nested(depth - 1) });

/** One case per kind of value the contract lets a producer send. */
const CASES: { readonly [name: string]: JsonValue } = {
  null: null,
  'empty object': {},
  'empty list': [],
  'object of empties': { a: {}, b: [], c: null, d: '' },
  'whole number': 42,
  'large whole number': 9007199254740991,
  'negative whole number': -17,
  fraction: 129.9,
  'tiny fraction': 5e-324,
  'huge number': 1e21,
  'whole-number float': 2,
  true: true,
  false: false,
  'date-like string': '1970-01-01',
  'date-time-like string': '2026-11-20 10:15:30.250',
  'ISO date-time string': '2026-11-20T10:15:30Z',
  'number-like string': '42',
  'float-like string': '1e3',
  'boolean-like string': 'true',
  'null-like string': 'null',
  unicode: 'Ünïcødé 😀 中文 עברית',
  escapes: 'quote " backslash \\ slash / newline \n tab \t nul \u0000 bell \u0007 line-sep \u2028',
  'cell-like strings': ['\\N', '\\t', 'a\rb', "it's", '\\', '\t\n'],
  'mixed list': [1, 'two', 3.5, true, null, { six: [7] }, []],
  'nested to the depth limit': nested(15),
  'keys that look like paths': { 'a.b': 1, a: { b: 2 }, '': 'empty key' },
};

let harness: SinkHarness;
beforeAll(async () => {
  harness = await SinkHarness.create();
});
afterAll(async () => {
  await harness.close();
});

const event = (eventId: string, call: NonNullable<Extract<Record['kind'], { $case: 'event' }>['value']['call']>, userId = ''): Record => ({
  eventId,
  timestamp: new Date('2026-11-20T10:15:30.250Z'),
  kind: { $case: 'event', value: { profileId: 'p_fidelity', userId, sessionId: '', accountId: 'acc_1', pageId: '', call } },
});

const bagOf = async (table: string, column: string, eventId: string): Promise<unknown> => {
  const [row] = await select<{ text: string }>(harness.clickhouse, `SELECT ${column} AS text FROM ${harness.table(table)} FINAL WHERE event_id = '${eventId}'`);
  return JSON.parse(row.text);
};

it('reads back every bag of every kind of record as the JSON value sent', async () => {
  const entries = Object.entries(CASES);
  const records = entries.flatMap(([, value], i): Record[] => {
    const data = { v: value };
    return [
      event(`fid_track_${i}`, { $case: 'track', value: { name: 'Fidelity', data } }),
      event(`fid_page_${i}`, { $case: 'page', value: { url: 'https://example.com/', title: '', referrer: '', path: '', data } }),
      event(`fid_identify_${i}`, { $case: 'identify', value: { userAttributes: data } }, 'u_fidelity'),
      event(`fid_group_${i}`, { $case: 'group', value: { accountAttributes: data } }),
      {
        eventId: `fid_product_${i}`,
        timestamp: new Date('2026-11-20T10:15:30.250Z'),
        kind: { $case: 'product', value: { productId: `sku_${i}`, title: '', description: '', url: '', imageLink: '', currency: '', brand: '', category: '', tags: [], availability: 0, data } },
      },
    ];
  });
  await harness.publish(records);
  await drained(harness);

  for (const [name, value] of entries) {
    const i = entries.findIndex(([n]) => n === name);
    const expected = { v: value };
    expect({ name, track: await bagOf('events', 'properties', `fid_track_${i}`) }).toEqual({ name, track: expected });
    expect({ name, page: await bagOf('events', 'properties', `fid_page_${i}`) }).toEqual({ name, page: expected });
    expect({ name, identify: await bagOf('events', 'user_attributes', `fid_identify_${i}`) }).toEqual({ name, identify: expected });
    expect({ name, group: await bagOf('events', 'account_attributes', `fid_group_${i}`) }).toEqual({ name, group: expected });
    expect({ name, product: await bagOf('products', 'data', `fid_product_${i}`) }).toEqual({ name, product: expected });
  }
  const [profile] = await select<{ user_attributes: string }>(harness.clickhouse, `SELECT user_attributes FROM ${harness.table('profiles_current')} WHERE profile_id = 'p_fidelity'`);
  expect(Object.values(CASES).map((v) => ({ v }))).toContainEqual(JSON.parse(profile.user_attributes));
});

it('stores string fields as sent: tabs, newlines, backslashes, quotes and a literal \\N', async () => {
  const odd = 'tab\there, newline\nthere, cr\r, backslash \\ and \\N, quote \' and ", nul \u0000, 😀';
  const record = event('fid_strings', { $case: 'track', value: { name: odd, data: {} } });
  if (record.kind?.$case === 'event') Object.assign(record.kind.value, { profileId: odd, sessionId: '\\N' });
  const product: Record = {
    eventId: 'fid_strings_product',
    timestamp: new Date('2026-11-20T10:15:30.250Z'),
    kind: {
      $case: 'product',
      value: { productId: 'sku_odd', title: odd, description: '', url: '', imageLink: '', currency: '', brand: '', category: '', tags: [odd, "it's", '\\N', ''], availability: 0 },
    },
  };
  await harness.publish([record, product]);
  await drained(harness);
  expect(await select(harness.clickhouse, `SELECT name, profile_id, session_id FROM ${harness.table('events_final')} WHERE event_id = 'fid_strings'`)).toEqual([
    { name: odd, profile_id: odd, session_id: '\\N' },
  ]);
  expect(await select(harness.clickhouse, `SELECT title, tags FROM ${harness.table('products_final')} WHERE event_id = 'fid_strings_product'`)).toEqual([
    { title: odd, tags: [odd, "it's", '\\N', ''] },
  ]);
});

it('stores the context as its proto3 JSON, unicode and escapes included', async () => {
  const record = event('fid_context', { $case: 'track', value: { name: 'Context', data: {} } });
  if (record.kind?.$case === 'event') {
    record.kind.value.context = {
      library: { name: 'sdk "quoted" \\ back\tslash', version: '' },
      device: undefined,
      os: undefined,
      app: { name: 'Äpp 😀', version: '1.0', build: '', namespace: 'com.example' },
      campaign: undefined,
      locale: 'de-DE',
      timezone: '',
      userAgent: 'line\nbreak',
      ip: '2001:db8::1',
    };
  }
  await harness.publish([record]);
  await drained(harness);
  expect(await bagOf('events', 'context', 'fid_context')).toEqual({
    library: { name: 'sdk "quoted" \\ back\tslash' },
    app: { name: 'Äpp 😀', version: '1.0', namespace: 'com.example' },
    locale: 'de-DE',
    userAgent: 'line\nbreak',
    ip: '2001:db8::1',
  });
});

it('finds whole numbers and fractions of one key with one typed read, and fills a promoted key for old and new rows', async () => {
  await harness.publish([1, 2.5, 3, -4.25].map((amount, i) => event(`fid_amount_${i}`, { $case: 'track', value: { name: 'Amount', data: { amount, plan: i % 2 === 0 ? 'pro' : 'free' } } })));
  await drained(harness);
  const [{ total }] = await select<{ total: number }>(harness.clickhouse, `SELECT sum(JSONExtractFloat(properties, 'amount')) AS total FROM ${harness.table('events_final')} WHERE name = 'Amount'`);
  expect(total).toBeCloseTo(2.25, 10);

  // The promotion docs/sink.md gives: a typed MATERIALIZED column, then MATERIALIZE COLUMN for rows stored before it.
  await harness.clickhouse.command({ query: `ALTER TABLE ${harness.table('events')} ADD COLUMN IF NOT EXISTS prop_plan LowCardinality(String) MATERIALIZED JSONExtractString(properties, 'plan')` });
  await harness.clickhouse.command({ query: `ALTER TABLE ${harness.table('events')} MATERIALIZE COLUMN prop_plan`, clickhouse_settings: { mutations_sync: '2' } });
  await harness.publish([event('fid_amount_new', { $case: 'track', value: { name: 'Amount', data: { amount: 10, plan: 'pro' } } })]);
  await drained(harness);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events')} FINAL WHERE name = 'Amount' AND prop_plan = 'pro'`)).toBe(3);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events')} FINAL WHERE name = 'Amount' AND prop_plan = 'free'`)).toBe(2);
});
