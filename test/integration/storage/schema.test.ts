/**
 * The migrated schema on the real engine: migrations run twice without
 * change, and events and products keep parts compact (one data file) up to a
 * million rows, instead of a file per JSON path and type.
 */
import pino from 'pino';
import { migrate } from '../../../src/storage/migrate';
import { MIGRATIONS } from '../../../src/storage/schema';
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
