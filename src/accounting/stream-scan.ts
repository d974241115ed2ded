/**
 * Reads what the records' stream holds of one source from a time on, up to
 * where the stream ended when the scan began: each message's sequence, event
 * id, the minute its gateway received it, and the product it names. Through an
 * ordered consumer of its own (ephemeral, in memory), deleted when the scan
 * ends, so nothing of it stays.
 */
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { token } from '../config/parsers';
import { Envelope } from '../gen/tributary/ingest/v1/envelope';
import { minuteOf } from '../stream/accounting-message';

/** One message of the stream, as the reconciliation needs it. */
export interface ScannedRecord {
  readonly seq: number;
  readonly eventId: string;
  /** The minute its gateway received it, epoch milliseconds. */
  readonly minute: number;
  /** The product id of a product record; undefined for an event. */
  readonly productId?: string;
}

/** Most messages one scan reads: what the reconciliation holds in memory stays bounded (about 100 bytes each). */
export const MAX_SCANNED = 2_000_000;

/** A window that holds more than {@link MAX_SCANNED} messages of the source. */
export class WindowTooLarge extends Error {
  override readonly name = 'WindowTooLarge';
  constructor(source: string) {
    super(`the window holds more than ${MAX_SCANNED} records of ${source}: reconcile a shorter one`);
  }
}

/** Messages asked for at a time. */
const FETCH = 1_000;
/** How early before the window the scan starts: a record received in it may be stored a little later. */
const EARLY_MS = 60_000;

/** Every record of `source` (subject `<prefix>.<source>.>`) received from `fromMs` on, up to sequence `lastSeq`; throws WindowTooLarge past {@link MAX_SCANNED}. */
export async function scanSource(js: JetStreamClient, stream: string, subjectPrefix: string, source: string, fromMs: number, lastSeq: number): Promise<ScannedRecord[]> {
  const scanned: ScannedRecord[] = [];
  // A source id is a subject token (as the keys file allows it): anything else would widen the filter.
  token(source);
  if (lastSeq === 0) return scanned;
  const consumer = await js.consumers.get(stream, {
    filter_subjects: `${subjectPrefix}.${source}.>`,
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(fromMs - EARLY_MS).toISOString(),
  });
  try {
    for (;;) {
      const batch = await consumer.fetch({ max_messages: FETCH, expires: 1_000 });
      let seen = 0;
      let done = false;
      for await (const msg of batch) {
        seen++;
        if (msg.seq > lastSeq) {
          done = true;
          break;
        }
        const envelope = Envelope.decode(msg.data);
        const receivedMs = envelope.receivedAt?.getTime() ?? 0;
        const kind = envelope.record?.kind;
        if (receivedMs >= fromMs) {
          if (scanned.length >= MAX_SCANNED) throw new WindowTooLarge(source);
          scanned.push({ seq: msg.seq, eventId: envelope.record?.eventId ?? '', minute: minuteOf(receivedMs), productId: kind?.$case === 'product' ? kind.value.productId : undefined });
        }
        if (msg.seq === lastSeq || msg.info.pending === 0) done = true;
      }
      if (done || seen === 0) break;
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
  return scanned;
}
