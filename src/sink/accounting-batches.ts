/**
 * The sink's handling of the accounting stream: each message's counts become
 * rows of `accounting`, its samples rows of `rejections` and its plan
 * violations rows of `plan_violations`, keyed by the message's sequence so a
 * redelivered message adds nothing (read with FINAL). A message that held
 * samples (rejected records) or plan violations (a sender's names and keys),
 * either of which may name a person, is then erased from the stream, so the
 * tables, which erasure reaches and a TTL empties, are their only copy. A message that does not read as one
 * (only a bug makes one) is logged and terminated, left in the stream.
 */
import type { JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { decodeAccounting, type AccountingMessage } from '../stream/accounting-message';
import { errorMessage } from '../lifecycle/backoff';
import { eraseMessages } from '../stream/stream-erasure';
import type { Retrying } from '../stages/consumer-loop';
import { objectRow, type ClickHouseWriter, type PendingRow } from '../storage/clickhouse-writer';
import { toDateTime64 } from '../storage/datetime';

/** The ids a sample's record (proto3 JSON text, or '') names a person by, as the events table holds them (for erasure). */
function personColumns(recordJson: string): { profile_id: string; user_id: string; another_user_id: string; consent_email: string } {
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  let record: unknown = {};
  try {
    record = recordJson === '' ? {} : JSON.parse(recordJson);
  } catch {
    // Only a bug writes text that is not JSON: the sample keeps it, naming no one.
  }
  const event = typeof record === 'object' && record !== null ? ((record as { event?: { [key: string]: unknown } }).event ?? {}) : {};
  const member = (key: string): { [key: string]: unknown } => (typeof event[key] === 'object' && event[key] !== null ? (event[key] as { [key: string]: unknown }) : {});
  return { profile_id: text(event.profileId), user_id: text(event.userId), another_user_id: text(member('alias').anotherUserId), consent_email: text(member('consent').email) };
}

/** The rows of one accounting message, read from the message at `seq`. */
export function accountingRows(message: AccountingMessage, seq: number): PendingRow[] {
  const rows: PendingRow[] = [];
  // A DateTime column takes epoch seconds.
  const minute = (ms: number) => Math.floor(ms / 1000);
  message.counts.forEach(({ source, minute: at, measure, reason, n }, i) =>
    rows.push(objectRow(seq, 'accounting', { source_id: source, minute: minute(at), stage: 'gateway', measure, reason, origin: seq, count: n }, `${seq}:c${i}`)),
  );
  message.samples.forEach((sample, i) =>
    rows.push(
      objectRow(
        seq,
        'rejections',
        {
          source_id: sample.source,
          minute: minute(sample.minute),
          reason: sample.reason,
          slot: sample.slot,
          received_at: toDateTime64(new Date(sample.at)),
          event_id: sample.eventId,
          transport: sample.peer.transport,
          ip: sample.peer.ip,
          user_agent: sample.peer.userAgent,
          record: sample.record,
          violations: JSON.stringify(sample.violations),
          ...personColumns(sample.record),
          stream_seq: seq,
        },
        `${seq}:s${i}`,
      ),
    ),
  );
  message.planViolations?.forEach((line, i) =>
    rows.push(
      objectRow(
        seq,
        'plan_violations',
        {
          source_id: line.source,
          received_at: toDateTime64(new Date(line.at)),
          event_id: line.eventId,
          profile_id: line.profileId,
          user_id: line.userId,
          call: line.call,
          name: line.name,
          field: line.field,
          reason: line.reason,
          message: line.message,
          plan_version: line.planVersion,
          action: line.action,
          stream_seq: seq,
        },
        `${seq}:p${i}`,
      ),
    ),
  );
  return rows;
}

/** Stores batches of the accounting stream. */
export class AccountingBatches {
  constructor(
    private readonly writer: ClickHouseWriter,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly logger: Logger,
  ) {}

  /** Handles one batch: rows written, the messages that may name a person erased, then every message acked. */
  async handle(batch: readonly JsMsg[], retrying: Retrying): Promise<void> {
    const rows: PendingRow[] = [];
    const invalid = new Set<number>();
    const personal: number[] = [];
    for (const msg of batch) {
      try {
        const message = decodeAccounting(msg.data);
        rows.push(...accountingRows(message, msg.seq));
        if (message.samples.length > 0 || (message.planViolations?.length ?? 0) > 0) personal.push(msg.seq);
      } catch (error) {
        this.logger.error({ err: errorMessage(error), stream: this.stream, seq: msg.seq }, 'an accounting message does not read as one; it is left in the stream');
        invalid.add(msg.seq);
      }
    }
    await retrying('accounting insert', () => this.writer.writeAll(rows));
    await retrying('sample erasure', () => eraseMessages(this.jsm, this.stream, personal));
    for (const msg of batch) {
      if (invalid.has(msg.seq)) msg.term();
      else msg.ack();
    }
  }
}
