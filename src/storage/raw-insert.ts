/**
 * Inserts a batch that is already in bytes, JSONEachRow or TabSeparated with
 * its column list: one buffer, one statement, with the insert's own settings
 * in that statement. On the embedded engine it goes through chDB's raw
 * session insert (the buffer is handed to the engine's parser as is); on a
 * server, through
 * `@clickhouse/client` over HTTP, where settings are per request. Either way
 * nothing carries over to a later statement: chDB's client path turns
 * `clickhouse_settings` into session-wide `SET`s, which is why inserts never
 * take that path (docs/sink.md).
 */
import { Readable } from 'node:stream';
import { parseError, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { embeddedSession, SETTINGS } from './clickhouse-client';

/** In JSONEachRow, a field the table lacks is an error rather than silently dropped: a dropped column is drift, retried. */
const ROW_SETTINGS: ClickHouseSettings = { input_format_skip_unknown_fields: 0 };

/** One insert: the table, its rows as lines, and the settings of this insert alone. */
export interface RawInsert {
  /** `database.table`. */
  readonly table: string;
  readonly body: Buffer;
  /** The columns of TabSeparated lines, in order; JSONEachRow lines when absent. */
  readonly columns?: readonly string[];
  readonly settings: ClickHouseSettings;
}

/** Runs one insert; a refusal is thrown as a ClickHouseError with its type, whichever engine refused. */
export async function insertRaw(client: ClickHouseClient, insert: RawInsert): Promise<void> {
  const settings: ClickHouseSettings = { ...SETTINGS, ...ROW_SETTINGS, ...insert.settings };
  const format = insert.columns === undefined ? 'JSONEachRow' : 'TabSeparated';
  const columns = insert.columns === undefined ? undefined : [...insert.columns];
  const chdb = embeddedSession(client);
  if (chdb === undefined) {
    await client.insert({ table: insert.table, values: Readable.from([insert.body]), format, columns: columns as [string, ...string[]] | undefined, clickhouse_settings: settings });
    return;
  }
  try {
    await chdb.rawInsert({ table: insert.table, values: insert.body, format, columns, settings: settings as { [name: string]: string | number | boolean } });
  } catch (error) {
    const parsed = parseError(error as Error);
    if (parsed !== error) (parsed as Error).cause = error;
    throw parsed;
  }
}
