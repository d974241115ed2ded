/**
 * Which rows of the stream are already stored, by stream sequence: the
 * queries behind the sink's redelivery check (src/sink/redelivery-check.ts).
 * A row counts as stored when its table holds a row with the same event id
 * and the same stream sequence, so another stream's sequences written into
 * the same database never stand in for this one's.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { selectRows } from './clickhouse-client';

/** A row whose storage is in doubt. */
export interface StoredCandidate {
  readonly seq: number;
  readonly table: 'events' | 'products';
  readonly eventId: string;
  /** `toYYYYMM` of an event's partition, to read only the partitions it can be in. */
  readonly partition: number;
}

/** The greatest stream sequence stored in `events` or `products` (0 when both are empty). */
export async function maxStoredSeq(client: ClickHouseClient, database: string): Promise<number> {
  const [row] = await selectRows<{ seq: number | string }>(client, `SELECT greatest((SELECT max(stream_seq) FROM ${database}.events), (SELECT max(stream_seq) FROM ${database}.products)) AS seq`);
  return Number(row?.seq ?? 0);
}

/** The sequences of `candidates` that their table already holds. */
export async function storedSeqs(client: ClickHouseClient, database: string, candidates: readonly StoredCandidate[]): Promise<Set<number>> {
  const stored = new Set<number>();
  for (const table of ['events', 'products'] as const) {
    const mine = candidates.filter((c) => c.table === table);
    if (mine.length === 0) continue;
    const partitions = table === 'events' ? ' AND toYYYYMM(original_timestamp) IN {partitions:Array(UInt32)}' : '';
    const rows = await selectRows<{ seq: number | string; event_id: string }>(
      client,
      `SELECT DISTINCT stream_seq AS seq, event_id FROM ${database}.${table} WHERE stream_seq IN {seqs:Array(UInt64)} AND event_id IN {ids:Array(String)}${partitions}`,
      { seqs: mine.map((c) => c.seq), ids: [...new Set(mine.map((c) => c.eventId))], partitions: [...new Set(mine.map((c) => c.partition))] },
    );
    const idOf = new Map(mine.map((c) => [c.seq, c.eventId]));
    for (const row of rows) if (idOf.get(Number(row.seq)) === row.event_id) stored.add(Number(row.seq));
  }
  return stored;
}
