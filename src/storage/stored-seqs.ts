/**
 * Which rows of the stream are already stored, by stream sequence: the
 * queries behind the sink's redelivery check (src/sink/redelivery-check.ts).
 * A row counts as stored when its table holds a row with the same source,
 * event id and stream sequence, so another stream's sequences written into
 * the same database never stand in for this one's.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { selectRows } from './clickhouse-client';

/** A row whose storage is in doubt. */
export interface StoredCandidate {
  readonly seq: number;
  readonly table: 'events' | 'products';
  readonly sourceId: string;
  readonly eventId: string;
  /** `toYYYYMM` of an event's partition, to read only the partitions it can be in. */
  readonly partition: number;
}

/** The greatest stream sequence stored in `events` or `products` (0 when both are empty). */
export async function maxStoredSeq(client: ClickHouseClient, database: string): Promise<number> {
  const [row] = await selectRows<{ seq: number | string }>(client, `SELECT greatest((SELECT max(stream_seq) FROM ${database}.events), (SELECT max(stream_seq) FROM ${database}.products)) AS seq`);
  return Number(row?.seq ?? 0);
}

/** Rows looked up per query: the lists travel as query parameters, in the URL on a server, which ClickHouse caps at 1 MiB. */
const ROWS_PER_LOOKUP = 1_000;

/** The sequences of `candidates` that their table already holds (the same source, event id and sequence). */
export async function storedSeqs(client: ClickHouseClient, database: string, candidates: readonly StoredCandidate[]): Promise<Set<number>> {
  const stored = new Set<number>();
  for (const table of ['events', 'products'] as const) {
    const all = candidates.filter((c) => c.table === table);
    for (let from = 0; from < all.length; from += ROWS_PER_LOOKUP) {
      const mine = all.slice(from, from + ROWS_PER_LOOKUP);
      const partitions = table === 'events' ? ' AND toYYYYMM(original_timestamp) IN {partitions:Array(UInt32)}' : '';
      const rows = await selectRows<{ seq: number | string; source_id: string; event_id: string }>(
        client,
        `SELECT DISTINCT stream_seq AS seq, source_id, event_id FROM ${database}.${table}
         WHERE source_id IN {sources:Array(String)} AND event_id IN {ids:Array(String)} AND stream_seq IN {seqs:Array(UInt64)}${partitions}`,
        {
          sources: [...new Set(mine.map((c) => c.sourceId))],
          ids: [...new Set(mine.map((c) => c.eventId))],
          seqs: mine.map((c) => c.seq),
          partitions: [...new Set(mine.map((c) => c.partition))],
        },
      );
      const bySeq = new Map(mine.map((c) => [c.seq, c]));
      for (const row of rows) {
        const candidate = bySeq.get(Number(row.seq));
        if (candidate?.eventId === row.event_id && candidate.sourceId === row.source_id) stored.add(candidate.seq);
      }
    }
  }
  return stored;
}
