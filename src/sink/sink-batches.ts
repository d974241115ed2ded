/**
 * The sink's handling of one batch: envelopes' bytes into rows (read off the
 * wire, src/sink/envelope-row.ts), less those a redelivered message already
 * stored (redelivery-check.ts), one insert per table and partition range,
 * dead letters, then acks, one per message. Rows ClickHouse refuses for their
 * data are redelivered up to a bound and then become dead letters, terminated
 * so the consumer moves on. Identity is a stage of its own
 * (src/identity/), so no ack here waits for it.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics';
import { backoffMs } from '../lifecycle/backoff';
import type { Retrying } from '../stages/consumer-loop';
import type { ClickHouseWriter, PendingRow } from '../storage/clickhouse-writer';
import { deadLetter, type DeadLetter, type DeadLetters, type StageMessage } from '../stages/dead-letters';
import { envelopeRow, EVENT_COLUMNS, InvalidEnvelopeError, PRODUCT_COLUMNS, type RowSink } from './envelope-row';
import { RedeliveryCheck, type CheckedRow } from './redelivery-check';
import { RowBuffers } from './row-buffers';

/** What the sink has stored so far. */
export interface SinkStats {
  batches: number;
  rowsWritten: number;
  deadLetters: number;
  /** Milliseconds the last stored batch took, from its handling to its acks. */
  lastBatchMs: number;
}

/** The bounds of the sink's handling. */
export interface SinkBatchOptions {
  /** Deliveries of a row ClickHouse refuses before it becomes a dead letter. */
  readonly maxDeliveries: number;
  /** Longest delay of a redelivery. */
  readonly retryMaxMs: number;
  /** Told of the rows each batch wrote (not those found stored, nor those refused): a replay counts what it restored. */
  readonly written?: (rows: readonly SinkRow[]) => void;
}

/** A row on its way to its table, with the source and the message it came from. */
export type SinkRow = PendingRow & CheckedRow & { readonly sourceId: string };

/** The row of the envelope in `bytes` (of a message `redelivered` or not), written into `rows`; throws as {@link envelopeRow} does. */
export function sinkRow(bytes: Uint8Array, seq: number, rows: RowSink, redelivered = false): SinkRow {
  const row = envelopeRow(bytes, seq, rows);
  return { seq, ...row, columns: row.table === 'events' ? EVENT_COLUMNS : PRODUCT_COLUMNS, envelope: bytes, redelivered };
}

/** Stores batches of the stream in ClickHouse. */
export class SinkBatches {
  readonly stats: SinkStats = { batches: 0, rowsWritten: 0, deadLetters: 0, lastBatchMs: 0 };

  constructor(
    private readonly writer: ClickHouseWriter,
    private readonly check: RedeliveryCheck,
    private readonly deadLetters: DeadLetters,
    private readonly options: SinkBatchOptions,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Handles one batch; every message ends acked, nak-ed for redelivery, or terminated as a dead letter. */
  async handle(batch: readonly StageMessage[], retrying: Retrying): Promise<void> {
    const started = Date.now();
    const rows: SinkRow[] = [];
    const letters: DeadLetter[] = [];
    const lines = new RowBuffers();
    for (const msg of batch) {
      try {
        rows.push(sinkRow(msg.data, msg.seq, lines, msg.info.redelivered));
      } catch (error) {
        letters.push(deadLetter(msg, error instanceof InvalidEnvelopeError ? 'INVALID_ENVELOPE' : 'UNDECODABLE_ENVELOPE', error, ''));
      }
    }

    // Rows a redelivered message already stored are left out (their messages are acked below).
    const fresh = await retrying('redelivery check', () => this.check.unstored(rows));
    const refused = await retrying('insert', () => this.writer.write(fresh));
    this.check.stored(rows);
    const { written } = this.options;
    if (written !== undefined) {
      const out = new Set(refused.map((r) => r.pending));
      written(fresh.filter((row) => !out.has(row)));
    }
    const bySeq = new Map(batch.map((msg) => [msg.seq, msg]));
    const redeliver = new Set<number>();
    for (const { pending, error } of refused) {
      const msg = bySeq.get(pending.seq) as StageMessage;
      if (msg.info.deliveryCount < this.options.maxDeliveries) redeliver.add(msg.seq);
      else letters.push(deadLetter(msg, 'REJECTED_BY_CLICKHOUSE', error, pending.sourceId));
    }
    await retrying('dead-letter write', () => this.deadLetters.record(letters));

    // A reason on +TERM needs nats-server 2.10; the dead letter holds the reason anyway.
    const dead = new Set(letters.map((l) => l.seq));
    for (const msg of batch) {
      if (dead.has(msg.seq)) msg.term();
      else if (redeliver.has(msg.seq)) msg.nak(backoffMs(msg.info.deliveryCount, this.options.retryMaxMs));
      else msg.ack();
    }
    if (letters.length > 0) this.logger.warn({ count: letters.length, reasons: [...new Set(letters.map((l) => l.reason))] }, 'messages set aside as dead letters');
    this.account(
      fresh,
      refused.map((r) => r.pending),
      letters,
      Date.now() - started,
    );
  }

  private account(rows: readonly PendingRow[], refused: readonly PendingRow[], letters: readonly DeadLetter[], ms: number): void {
    this.stats.batches++;
    this.stats.rowsWritten += rows.length - refused.length;
    this.stats.deadLetters += letters.length;
    this.stats.lastBatchMs = ms;
    this.metrics.sinkBatchSize.observe(rows.length + letters.length);
    this.metrics.sinkBatchSeconds.observe(ms / 1000);
    const perTable = new Map<string, number>();
    for (const row of rows) perTable.set(row.table, (perTable.get(row.table) ?? 0) + 1);
    for (const row of refused) perTable.set(row.table, (perTable.get(row.table) ?? 0) - 1);
    for (const [table, n] of perTable) this.metrics.rowsWritten.inc({ table }, n);
    for (const l of letters) this.metrics.deadLetters.inc({ reason: l.reason });
  }
}
