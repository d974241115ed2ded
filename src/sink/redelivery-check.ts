/**
 * Keeps a redelivered message from being stored twice. A batch's insert
 * carries a token made of its sequences, so the same batch inserted again
 * adds nothing; but a batch redelivered after its acks were lost (a killed
 * or cut-off nats-server, a sink that moved to another node) is cut by
 * count and time again, into other batches with other tokens, and the
 * table then held its rows twice until a merge (what only FINAL hid).
 *
 * So before a batch is inserted, its rows that may have been stored already
 * are looked up: those of messages delivered more than once, and those at
 * or below the highest sequence this sink has stored (a nats-server that
 * lost its consumer's state delivers them again as if for the first time).
 * Rows found stored are left out and their messages acked. In steady flow
 * neither holds, so the hot path makes no query; the highest sequence is
 * read from the tables once, at the first batch. A replay's check looks up
 * every row.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { maxStoredSeq, storedSeqs } from '../storage/stored-seqs';
import { envelopeEventId } from './envelope-row';

/** A row of the batch, with what the check needs of its message. */
export interface CheckedRow {
  readonly seq: number;
  readonly table: 'events' | 'products';
  readonly sourceId: string;
  readonly partition?: number;
  /** The message's bytes, read again for the event id only when the row is in doubt. */
  readonly envelope: Uint8Array;
  /** Whether the message was delivered before. */
  readonly redelivered: boolean;
}

/** The sink's memory of what it stored. */
export class RedeliveryCheck {
  private highWater: number | undefined;

  /**
   * A check over `database`. `everyRow` looks every row up (a replay's
   * check: it reads what was stored before, with gaps wherever rows were
   * removed, so no mark of its own says which rows cannot be stored).
   */
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    private readonly everyRow = false,
  ) {}

  /** The rows of `rows` not stored yet, in their order. */
  async unstored<R extends CheckedRow>(rows: readonly R[]): Promise<R[]> {
    if (!this.everyRow) this.highWater ??= await maxStoredSeq(this.client, this.database);
    const high = this.everyRow ? Infinity : (this.highWater as number);
    const doubtful = rows.filter((row) => row.redelivered || row.seq <= high);
    if (doubtful.length === 0) return [...rows];
    const stored = await storedSeqs(
      this.client,
      this.database,
      doubtful.map((row) => ({ seq: row.seq, table: row.table, sourceId: row.sourceId, partition: row.partition ?? 0, eventId: envelopeEventId(row.envelope) })),
    );
    // Nothing below the mark was stored: the mark came from another stream's rows (or a stream made anew), so from here on this batch sets it.
    if (stored.size === 0 && doubtful.every((row) => !row.redelivered)) this.highWater = 0;
    return stored.size === 0 ? [...rows] : rows.filter((row) => !stored.has(row.seq));
  }

  /** Notes that `rows` are stored (those inserted and those found stored). */
  stored(rows: readonly { readonly seq: number }[]): void {
    for (const row of rows) if (row.seq > (this.highWater ?? 0)) this.highWater = row.seq;
  }
}
