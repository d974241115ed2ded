/**
 * The migrated schema on the real engine: migrations run twice without
 * change, and events and products keep parts compact (one data file) up to a
 * million rows, instead of a file per JSON path and type; every table that
 * holds a person is on the erasure list (or says why not).
 */
import pino from 'pino';
import { migrate } from '../../../src/storage/migrate';
import { MIGRATIONS } from '../../../src/storage/schema';
import { NOT_PERSONAL, PERSONAL_TABLES } from '../../../src/privacy/personal-tables';
import { count, processClickHouse, randomDatabase, select } from '../../helpers/clickhouse';

const { client } = processClickHouse();
const database = randomDatabase();

it('applies every migration once, and makes events and products keep compact parts', async () => {
  const target = { database, cluster: '', replicated: false };
  await migrate(client, target, pino({ level: 'silent' }));
  await migrate(client, target, pino({ level: 'silent' }));
  expect(await count(client, `SELECT count() AS n FROM ${database}.schema_migrations FINAL`)).toBe(MIGRATIONS.length);
  const tables = await select<{ name: string; create_table_query: string }>(
    client,
    `SELECT name, create_table_query FROM system.tables WHERE database = '${database}' AND name IN ('events', 'products') ORDER BY name`,
  );
  expect(tables.map((t) => [t.name, /min_rows_for_wide_part = 1000000/.test(t.create_table_query)])).toEqual([
    ['events', true],
    ['products', true],
  ]);
});

it('names every table that holds a person on the erasure list, or says why it does not erase it', async () => {
  await migrate(client, { database, cluster: '', replicated: false }, pino({ level: 'silent' }));
  // A table holds a person when it has a column of their ids: a profile or user id, an identity node, an email, a consent subject, or a whole payload.
  const holding = await select<{ table: string }>(
    client,
    `SELECT DISTINCT c.table AS table FROM system.columns AS c JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
     WHERE c.database = '${database}' AND t.engine LIKE '%MergeTree' AND c.name IN ('profile_id', 'user_id', 'master_id', 'node', 'left_node', 'consent_email', 'subject', 'payload_base64') ORDER BY table`,
  );
  const listed = new Set([...PERSONAL_TABLES.map((t) => t.table), ...Object.keys(NOT_PERSONAL)]);
  expect(holding.map((t) => t.table).filter((table) => !listed.has(table))).toEqual([]);
  // And the list names only tables that exist.
  const tables = new Set((await select<{ name: string }>(client, `SELECT name FROM system.tables WHERE database = '${database}'`)).map((t) => t.name));
  expect([...listed].filter((table) => !tables.has(table))).toEqual([]);
  // The erased tables drop the parts a mutation replaced at once (the bytes of an erased person leave the disk).
  const settings = await select<{ name: string; create_table_query: string }>(
    client,
    `SELECT name, create_table_query FROM system.tables WHERE database = '${database}' AND name IN (${PERSONAL_TABLES.map((t) => `'${t.table}'`).join(', ')}, 'dead_letters')`,
  );
  expect(settings.filter((t) => !/old_parts_lifetime = 1\b/.test(t.create_table_query)).map((t) => t.name)).toEqual([]);
});
