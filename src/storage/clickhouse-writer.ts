/**
 * Writes a batch of rows: one buffer per table (TabSeparated or JSONEachRow
 * lines, as the rows come), each insert with its own
 * insert_deduplication_token (derived from the stream sequences it holds, or
 * the rows' own dedup keys) and settings, so a retried or redelivered batch
 * is not stored twice and nothing carries over to the next insert.
 *
 * An insert never touches more than {@link MAX_PARTITIONS_PER_INSERT}
 * partitions: a backfill of years is cut into parts by partition, the same
 * way for the same rows, so tokens stay deterministic. When ClickHouse
 * refuses an insert for its data, it is split in halves until the rows at
 * fault are found; the others are stored. Transient failures are thrown.
 */
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { classifyInsertFailure } from './error-class';
import { insertRaw } from './raw-insert';

/**
 * The most partitions one insert touches: ClickHouse's default
 * `max_partitions_per_insert_block`, which a server may lower but rarely
 * does; an insert refused for it anyway is split further.
 */
export const MAX_PARTITIONS_PER_INSERT = 100;

/** A row on its way to a table, with the stream sequence it came from. */
export interface PendingRow {
  readonly seq: number;
  readonly table: string;
  /** The row as one line, newline included: JSONEachRow, or TabSeparated in the order of `columns`. */
  readonly bytes: Uint8Array;
  /** The columns of a TabSeparated row, in order (one array shared by a table's rows); absent for JSONEachRow. */
  readonly columns?: readonly string[];
  /** The partition it lands in, for tables that have them. */
  readonly partition?: number;
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

/** A row the sink builds itself, as an object, on its way to `table`. */
export const objectRow = (seq: number, table: string, row: object, dedupKey?: string): PendingRow => ({ seq, table, bytes: Buffer.from(`${JSON.stringify(row)}\n`), dedupKey });

/**
 * The lines of `rows` as one insert body: rows that lie back to back in one
 * buffer are taken as one piece, so a body written in one buffer is not copied.
 */
export function bodyOf(rows: readonly { readonly bytes: Uint8Array }[]): Buffer {
  const pieces: Buffer[] = [];
  let run: Uint8Array | undefined;
  let runEnd = 0;
  for (const { bytes } of rows) {
    if (run !== undefined && bytes.buffer === run.buffer && bytes.byteOffset === runEnd) {
      runEnd += bytes.byteLength;
      continue;
    }
    if (run !== undefined) pieces.push(Buffer.from(run.buffer, run.byteOffset, runEnd - run.byteOffset));
    run = bytes;
    runEnd = bytes.byteOffset + bytes.byteLength;
  }
  if (run !== undefined) pieces.push(Buffer.from(run.buffer, run.byteOffset, runEnd - run.byteOffset));
  return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
}

/** The token of an insert: its table and the sequences (or dedup keys) of its rows, within `scope` when one is given. */
export function insertToken(table: string, rows: readonly PendingRow[], scope = ''): string {
  const hash = createHash('sha256').update(scope === '' ? table : `${scope}\0${table}`);
  for (const { seq, dedupKey } of rows) hash.update(dedupKey === undefined ? `,${seq}` : `,${JSON.stringify(dedupKey)}`);
  return hash.digest('hex').slice(0, 40);
}

/**
 * The rows cut into inserts of at most `max` partitions each. Rows keep their
 * order when they fit one insert; otherwise they are grouped by partition in
 * ascending order, so the same rows always make the same parts.
 */
export function partitionParts<R extends PendingRow>(rows: readonly R[], max = MAX_PARTITIONS_PER_INSERT): R[][] {
  const byPartition = new Map<number, R[]>();
  for (const row of rows) {
    const key = row.partition ?? 0;
    const list = byPartition.get(key);
    if (list === undefined) byPartition.set(key, [row]);
    else list.push(row);
  }
  if (byPartition.size <= max) return rows.length === 0 ? [] : [[...rows]];
  const keys = [...byPartition.keys()].sort((a, b) => a - b);
  const parts: R[][] = [];
  for (let i = 0; i < keys.length; i += max) parts.push(keys.slice(i, i + max).flatMap((k) => byPartition.get(k) as R[]));
  return parts;
}

/** Inserts rows into tables of one database. */
export class ClickHouseWriter {
  /**
   * A writer into `database`. Its inserts' tokens are scoped by `tokenScope`
   * when one is given: a replay's writer has one of its own, or the insert of
   * a batch the live sink once inserted, after its rows were deleted, would
   * be dropped by ClickHouse as a duplicate of that first insert.
   */
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    private readonly tokenScope = '',
  ) {}

  /** A writer into the same database whose inserts' tokens are scoped by `tokenScope`. */
  scoped(tokenScope: string): ClickHouseWriter {
    return new ClickHouseWriter(this.client, this.database, tokenScope);
  }

  /** Stores every row it can; returns the rows ClickHouse refused for their data. Throws on transient failures. */
  async write<R extends PendingRow>(rows: readonly R[]): Promise<RefusedRow<R>[]> {
    const byTable = new Map<string, R[]>();
    for (const row of rows) {
      const list = byTable.get(row.table);
      if (list === undefined) byTable.set(row.table, [row]);
      else list.push(row);
    }
    const refused: RefusedRow<R>[] = [];
    for (const [table, list] of byTable) for (const part of partitionParts(list)) refused.push(...(await this.isolate(table, part)));
    return refused;
  }

  /** Stores every row, or throws: for rows the sink makes itself, which ClickHouse refusing is a fault, not poison. */
  async writeAll(rows: readonly PendingRow[]): Promise<void> {
    const refused = await this.write(rows);
    if (refused.length > 0) throw new Error(`ClickHouse refused ${refused.length} ${refused[0].pending.table} rows: ${refused[0].error.message}`);
  }

  private async isolate<R extends PendingRow>(table: string, rows: readonly R[]): Promise<RefusedRow<R>[]> {
    try {
      await insertRaw(this.client, {
        table: `${this.database}.${table}`,
        body: bodyOf(rows),
        columns: rows[0].columns,
        settings: { insert_deduplication_token: insertToken(table, rows, this.tokenScope) },
      });
      return [];
    } catch (error) {
      const failure = classifyInsertFailure(error);
      if (failure === 'transient' || (failure === 'split' && rows.length === 1)) throw error;
      if (rows.length === 1) return [{ pending: rows[0], error: error as Error }];
      const half = Math.ceil(rows.length / 2);
      return [...(await this.isolate(table, rows.slice(0, half))), ...(await this.isolate(table, rows.slice(half)))];
    }
  }
}
