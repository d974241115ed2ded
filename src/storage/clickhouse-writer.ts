/**
 * Writes a batch of rows: one insert per table, each with an
 * insert_deduplication_token derived from the stream sequences it holds (or
 * the rows' own dedup keys), so a retried or redelivered batch is not stored
 * twice. When ClickHouse rejects
 * an insert for its data, the batch is split in halves until the rows at
 * fault are found; the others are stored. Transient failures are thrown.
 */
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { SETTINGS } from '../storage/clickhouse-client';
import { isDataError } from '../storage/error-class';

/** A row on its way to a table, with the stream sequence it came from. */
export interface PendingRow {
  readonly seq: number;
  readonly table: string;
  readonly row: unknown;
  /**
   * What makes the row itself for insert deduplication, when its sequence
   * does not (a row derived from several messages); the sequence otherwise.
   */
  readonly dedupKey?: string;
}

/** A row ClickHouse refused for its data, with the reason. */
export interface RefusedRow<R extends PendingRow = PendingRow> {
  readonly pending: R;
  readonly error: Error;
}

/** The token of an insert: its table and the sequences (or dedup keys) of its rows. */
export function insertToken(table: string, rows: readonly PendingRow[]): string {
  const hash = createHash('sha256').update(table);
  for (const { seq, dedupKey } of rows) hash.update(dedupKey === undefined ? `,${seq}` : `,${JSON.stringify(dedupKey)}`);
  return hash.digest('hex').slice(0, 40);
}

/** Inserts rows into tables of one database. */
export class ClickHouseWriter {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  /** Stores every row it can; returns the rows ClickHouse refused for their data. Throws on transient failures. */
  async write<R extends PendingRow>(rows: readonly R[]): Promise<RefusedRow<R>[]> {
    const byTable = new Map<string, R[]>();
    for (const row of rows) {
      const list = byTable.get(row.table);
      if (list === undefined) byTable.set(row.table, [row]);
      else list.push(row);
    }
    const refused: RefusedRow<R>[] = [];
    for (const [table, list] of byTable) refused.push(...(await this.isolate(table, list)));
    return refused;
  }

  /** Stores every row, or throws: for rows the sink makes itself, which ClickHouse refusing is a fault, not poison. */
  async writeAll(rows: readonly PendingRow[]): Promise<void> {
    const refused = await this.write(rows);
    if (refused.length > 0) throw new Error(`ClickHouse refused ${refused.length} ${refused[0].pending.table} rows: ${refused[0].error.message}`);
  }

  private async isolate<R extends PendingRow>(table: string, rows: readonly R[]): Promise<RefusedRow<R>[]> {
    try {
      await this.client.insert({
        table: `${this.database}.${table}`,
        values: rows.map((r) => r.row),
        format: 'JSONEachRow',
        clickhouse_settings: { ...SETTINGS, insert_deduplication_token: insertToken(table, rows) },
      });
      return [];
    } catch (error) {
      if (!isDataError(error)) throw error;
      if (rows.length === 1) return [{ pending: rows[0], error: error as Error }];
      const half = Math.ceil(rows.length / 2);
      return [...(await this.isolate(table, rows.slice(0, half))), ...(await this.isolate(table, rows.slice(half)))];
    }
  }
}
