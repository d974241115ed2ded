/**
 * The admin query on the real engine, on the same session a sink writes
 * with: one SELECT runs, bounded; writes, several statements, SETTINGS
 * clauses and file access are refused; the session stays writable.
 */
import { runAdminQuery, AdminQueryRefused } from '../../../src/storage/admin-query';
import { count, processClickHouse, randomDatabase } from '../../helpers/clickhouse';

const { client } = processClickHouse();
const db = randomDatabase();
beforeAll(async () => {
  await client.command({ query: `CREATE DATABASE ${db}` });
  await client.command({ query: `CREATE TABLE ${db}.t (id UInt32) ENGINE = MergeTree ORDER BY id` });
  await client.command({ query: `INSERT INTO ${db}.t SELECT number FROM numbers(100)` });
});

const refusal = async (sql: string): Promise<string> => {
  try {
    await runAdminQuery(client, sql, { maxRows: 10, maxSeconds: 5 });
  } catch (error) {
    return error instanceof AdminQueryRefused ? `refused: ${error.message}` : `failed: ${(error as { type?: string }).type}`;
  }
  return 'ran';
};

it('runs one SELECT and returns its rows', async () => {
  expect(await runAdminQuery(client, `select count() AS n from ${db}.t where id < 42`)).toEqual([{ n: 42 }]);
});

it('refuses what is not one plain SELECT, and leaves the data alone', async () => {
  expect(await refusal(`DROP TABLE ${db}.t`)).toBe('refused: only SELECT statements may run');
  expect(await refusal(`SELECT 1; DROP TABLE ${db}.t`)).toMatch(/^refused: not one valid statement/);
  expect(await refusal(`SELECT 1) ; DROP TABLE ${db}.t; SELECT (1`)).toMatch(/^refused: not one valid statement/);
  expect(await refusal(`SELECT * FROM (SELECT * FROM file('/etc/hostname', 'LineAsString') SETTINGS readonly = 0)`)).toBe('refused: a query may not carry its own SETTINGS clause');
  expect(await refusal(`SELECT * FROM file('/etc/hostname', 'LineAsString')`)).toBe('failed: READONLY');
  expect(await refusal(`SELECT * FROM ${db}.t`)).toBe('failed: TOO_MANY_ROWS_OR_BYTES');
  expect(await runAdminQuery(client, `SELECT 'Set' AS word`)).toEqual([{ word: 'Set' }]);
  expect(await count(client, `SELECT count() AS n FROM ${db}.t`)).toBe(100);
});

it('leaves the session writable for the sink', async () => {
  await runAdminQuery(client, `SELECT 1 AS one`);
  await client.insert({ table: `${db}.t`, values: [{ id: 1000 }], format: 'JSONEachRow' });
  expect(await count(client, `SELECT count() AS n FROM ${db}.t`)).toBe(101);
});
