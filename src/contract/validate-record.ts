/**
 * The validator's entry point: a decoded Record in, the list of its
 * violations out (empty when the record is valid). Pure: the server's clock
 * and the producer's clock skew come in as arguments.
 */
import type { FieldViolation } from '../gen/tributary/ingest/v1/ingest_service';
import type { Record } from '../gen/tributary/ingest/v1/record';
import type { ValidationLimits } from './limits';
import { Reason } from './reasons';
import { checkEventId, checkTimestamp, report } from './field-checks';
import { checkEvent } from './validate-event';
import { checkProduct } from './validate-product';

/** What the validator knows besides the record. */
export interface ValidationContext {
  /** The limits to hold the record to. */
  readonly limits: ValidationLimits;
  /** The server's clock, in milliseconds since the epoch. */
  readonly nowMs: number;
  /** The producer's clock skew from {@link clockSkewMs}, added to its timestamps. */
  readonly skewMs: number;
}

/**
 * Returns every rule the record breaks, in a stable order; an empty list means
 * valid. `encodedBytes` is the size of the record's binary encoding.
 */
export function validateRecord(record: Record, encodedBytes: number, context: ValidationContext): FieldViolation[] {
  const { limits } = context;
  const out: FieldViolation[] = [];
  if (encodedBytes > limits.maxRecordBytes) {
    report(out, '', Reason.TOO_LARGE, `The record is ${encodedBytes} bytes encoded; at most ${limits.maxRecordBytes} are allowed.`);
  }
  checkEventId(record.eventId, limits.maxEventIdLength, out);
  const kind = record.kind;
  const requirement = kind?.$case === 'event' ? 'for every behavioral event' : undefined;
  const ms = checkTimestamp(record.timestamp, 'timestamp', requirement, out);
  if (ms !== undefined && ms + context.skewMs > context.nowMs + limits.maxFutureMs) {
    const hours = limits.maxFutureMs / 3_600_000;
    report(out, 'timestamp', Reason.TOO_FAR_IN_FUTURE, `timestamp must not lie more than ${hours} hours ahead of the server's clock (after correction by sent_at).`);
  }
  if (kind === undefined) {
    report(out, 'kind', Reason.REQUIRED, 'kind is required: set exactly one of event or product.');
  } else if (kind.$case === 'event') {
    checkEvent(kind.value, limits, out);
  } else {
    checkProduct(kind.value, limits, out);
  }
  return out;
}
