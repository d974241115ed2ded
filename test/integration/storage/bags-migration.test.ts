/**
 * Migration 8 on a data folder made by the migrations before it: events and
 * products stored with JSON bags keep every row and every value, now as
 * JSON text, read through the exact-read views too; profiles keep their attributes and go on taking new ones as
 * sent; and the migration runs again without change.
 */
import pino from 'pino';
import { migrate } from '../../../src/storage/migrate';
import { BAGS, MIGRATIONS } from '../../../src/storage/schema';
import { SETTINGS } from '../../../src/storage/clickhouse-client';
import { count, processClickHouse, randomDatabase, select } from '../../helpers/clickhouse';

const { client } = processClickHouse();
const database = randomDatabase();
const target = { database, cluster: '', replicated: false };
const logger = pino({ level: 'silent' });

const eventRow = (eventId: string, call: string, bags: { [column: string]: object }) => ({
  source_id: 'web',
  event_id: eventId,
  call,
  timestamp: '2026-11-20 10:15:30.250',
  original_timestamp: '2026-11-20 10:15:30.250',
  received_at: '2026-11-20 10:16:00.000',
  profile_id: 'p_migrated',
  user_id: call === 'identify' ? 'u_migrated' : '',
  stream_seq: 1,
  properties: {},
  user_attributes: {},
  account_attributes: {},
  context: {},
  ...bags,
});

/** Each bag of each row as a JSON value, by event id and column. */
async function bagValues(): Promise<{ [key: string]: unknown }> {
  const values: { [key: string]: unknown } = {};
  for (const { table, column } of BAGS) {
    const rows = await select<{ event_id: string; text: string }>(client, `SELECT event_id, toString(${column}) AS text FROM ${database}.${table}_final ORDER BY event_id`);
    for (const row of rows) values[`${table}.${row.event_id}.${column}`] = JSON.parse(row.text);
  }
  return values;
}

it('converts JSON bags to JSON text, keeping every row and value, and runs again without change', async () => {
  await migrate(
    client,
    target,
    logger,
    MIGRATIONS.filter((m) => m.version < 8),
  );
  await client.insert({
    table: `${database}.events`,
    format: 'JSONEachRow',
    clickhouse_settings: SETTINGS,
    values: [
      eventRow('e1', 'track', {
        properties: { plan: 'pro', amount: 129.9, count: 3, nested: { deep: { list: [1, 'two', true] } }, flag: false },
        context: { library: { name: 'sdk', version: '1.0' }, locale: 'en-US' },
      }),
      eventRow('e2', 'identify', { user_attributes: { email: 'ada@example.com', seats: 25 } }),
      eventRow('e3', 'group', { account_attributes: { name: 'Engines Ltd', tier: 'gold' } }),
    ],
  });
  await client.insert({
    table: `${database}.products`,
    format: 'JSONEachRow',
    clickhouse_settings: SETTINGS,
    values: [
      {
        source_id: 'web',
        product_id: 'sku_1',
        event_id: 'p1',
        data: { name: 'Wine', amount: 150, notes: { year: 2019 } },
        updated_at: '2026-11-20 10:15:30.250',
        received_at: '2026-11-20 10:16:00.000',
        stream_seq: 2,
      },
    ],
  });
  const before = await bagValues();
  const profileBefore = await select(client, `SELECT profile_id, user_id, user_attributes FROM ${database}.profiles_current`);
  expect(Object.keys(before)).toHaveLength(3 * 4 + 1);

  expect(
    await migrate(
      client,
      target,
      logger,
      MIGRATIONS.filter((m) => m.version <= 8),
    ),
  ).toEqual([8]);
  const types = await select<{ table: string; name: string; type: string }>(
    client,
    `SELECT table, name, type FROM system.columns WHERE database = '${database}' AND (table, name) IN (${BAGS.map((b) => `('${b.table}', '${b.column}')`).join(', ')}) ORDER BY table, name`,
  );
  expect(types.map((t) => t.type)).toEqual(BAGS.map(() => 'String'));
  const viewTypes = await select<{ type: string }>(
    client,
    `SELECT type FROM system.columns WHERE database = '${database}' AND table IN ('events_final', 'events_stitched', 'products_final') AND name IN ('properties', 'user_attributes', 'account_attributes', 'context', 'data')`,
  );
  expect(viewTypes.map((t) => t.type)).toEqual(Array(9).fill('String'));
  expect(await bagValues()).toEqual(before);
  expect(await select(client, `SELECT profile_id, user_id, user_attributes FROM ${database}.profiles_current`)).toEqual(profileBefore);

  // Run again, as after an interruption: nothing changes.
  for (const statement of MIGRATIONS.find((m) => m.version === 8)!.statements(target)) await client.command({ query: statement, clickhouse_settings: SETTINGS });
  expect(await bagValues()).toEqual(before);
  expect(await count(client, `SELECT count() AS n FROM ${database}.events`)).toBe(3);
  expect(await count(client, `SELECT count() AS n FROM ${database}.products`)).toBe(1);

  // A later identify reaches profiles as the text sent.
  await client.command({
    query: `INSERT INTO ${database}.events (source_id, event_id, call, timestamp, original_timestamp, received_at, profile_id, user_id, user_attributes, stream_seq) VALUES ('web', 'e4', 'identify', '2026-11-21 00:00:00.000', '2026-11-21 00:00:00.000', '2026-11-21 00:00:00.000', 'p_migrated', 'u_migrated', '{"email":"new@example.com","since":"1970-01-01"}', 4)`,
    clickhouse_settings: SETTINGS,
  });
  expect(await select(client, `SELECT user_attributes FROM ${database}.profiles_current`)).toEqual([{ user_attributes: '{"email":"new@example.com","since":"1970-01-01"}' }]);
});
