/**
 * Runs the schema migrations at start: creates the database and the
 * migrations table, then applies, in order, every migration not yet recorded.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { SETTINGS } from './clickhouse-client';
import { toDateTime64 } from './datetime';
import { MIGRATIONS, onCluster, type Migration, type SchemaTarget } from './schema';

/** Applies the missing migrations (of all of them, or of those given); returns the versions it applied. */
export async function migrate(client: ClickHouseClient, target: SchemaTarget, logger: Logger, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const { database } = target;
  const cluster = onCluster(target);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}${cluster}`, clickhouse_settings: SETTINGS });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations${cluster} (version UInt32, name String, applied_at DateTime64(3, 'UTC')) ENGINE = ReplacingMergeTree ORDER BY version`,
    clickhouse_settings: SETTINGS,
  });
  const rows = await (await client.query({ query: `SELECT version FROM ${database}.schema_migrations FINAL`, format: 'JSONEachRow', clickhouse_settings: SETTINGS })).json<{ version: number }>();
  const applied = new Set(rows.map((r) => Number(r.version)));
  const done: number[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements(target)) await client.command({ query: statement, clickhouse_settings: SETTINGS });
    await client.insert({
      table: `${database}.schema_migrations`,
      values: [{ version: migration.version, name: migration.name, applied_at: toDateTime64(new Date()) }],
      format: 'JSONEachRow',
      clickhouse_settings: SETTINGS,
    });
    logger.info({ version: migration.version, migration: migration.name }, 'migration applied');
    done.push(migration.version);
  }
  return done;
}
