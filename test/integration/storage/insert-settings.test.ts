/**
 * Each insert carries its own settings and nothing carries over: after an
 * insert with a deduplication token, inserts of other rows without one (raw,
 * or through the client) are stored, on a table with a deduplication window
 * where an inherited token would silently drop them; and the same token
 * again is dropped, as it must be.
 */
import { SETTINGS } from '../../../src/storage/clickhouse-client';
import { insertRaw } from '../../../src/storage/raw-insert';
import { count, processClickHouse, randomDatabase } from '../../helpers/clickhouse';

const { client } = processClickHouse();
const database = randomDatabase();
const table = `${database}.dedup`;
const body = (ids: number[]) => Buffer.from(ids.map((id) => JSON.stringify({ id })).join('\n'));
const rows = () => count(client, `SELECT count() AS n FROM ${table}`);

beforeAll(async () => {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}`, clickhouse_settings: SETTINGS });
  await client.command({ query: `CREATE TABLE ${table} (id UInt32) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 1000`, clickhouse_settings: SETTINGS });
});

it('keeps each insert’s deduplication token to that insert', async () => {
  await insertRaw(client, { table, body: body([1, 2]), settings: { insert_deduplication_token: 'token-a' } });
  expect(await rows()).toBe(2);

  await insertRaw(client, { table, body: body([3]), settings: {} });
  expect(await rows()).toBe(3);
  await client.insert({ table, values: [{ id: 4 }], format: 'JSONEachRow', clickhouse_settings: SETTINGS });
  expect(await rows()).toBe(4);

  await insertRaw(client, { table, body: body([5, 6]), settings: { insert_deduplication_token: 'token-a' } });
  expect(await rows()).toBe(4);
  await insertRaw(client, { table, body: body([5, 6]), settings: { insert_deduplication_token: 'token-b' } });
  expect(await rows()).toBe(6);
});
