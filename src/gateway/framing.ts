/**
 * Records framed for ingest(), whatever transport brought them: a request
 * frame read off the wire (gRPC, gRPC-Web through gRPC, Connect's binary
 * form), and the records a JSON door made from its body, each encoded as the
 * wire would carry it and decoded back, so that what is validated is what is
 * stored. Context from the connection (IP address, User-Agent) is filled in
 * here, where a record has none. Every transport imports this module; none
 * imports another transport.
 */
import { decodeRecord, Reason, type ValidationLimits } from '../contract';
import { IngestError } from '../errors/ingest-error';
import type { FieldViolation, IngestResponse } from '../gen/tributary/ingest/v1/ingest_service';
import { Record } from '../gen/tributary/ingest/v1/record';
import { withConnection, type Connection } from './connection';
import type { Ingest } from './ingest';
import type { Peer } from '../stream/accounting-message';
import type { FramedRecord, RequestFrame } from './request-frame';

/** A record a door made from its body, or why that part of the body is not one. */
export type MadeRecord = { readonly record: Record } | { readonly violation: FieldViolation; readonly eventId: string };

/** A violation of what a door was sent, in the contract's terms. */
export const violation = (field: string, reason: string, message: string): FieldViolation => ({ field, reason, message });

/** Whether `value` is a date (an Invalid Date from a bad string is not). */
const badDate = (value: Date | undefined): boolean => value !== undefined && Number.isNaN(value.getTime());

/** Frames one record a door made, with context from `connection` where it has none. */
export function frameRecord(item: MadeRecord, limits: ValidationLimits, connection: Connection | undefined): FramedRecord {
  if ('violation' in item) return { ...item, bytes: new Uint8Array(0) };
  const record = connection === undefined ? item.record : withConnection(item.record, connection);
  const consent = record.kind?.$case === 'event' && record.kind.value.call?.$case === 'consent' ? record.kind.value.call.value : undefined;
  if (badDate(record.timestamp) || badDate(consent?.validUntil)) {
    const field = badDate(record.timestamp) ? 'timestamp' : 'event.consent.valid_until';
    return { violation: violation(field, Reason.INVALID_FORMAT, `${field} is not a date: send RFC 3339 text or epoch milliseconds.`), eventId: record.eventId, bytes: new Uint8Array(0) };
  }
  const bytes = Record.encode(record).finish();
  return { ...decodeRecord(bytes, limits), bytes };
}

/**
 * A record read off the wire (gRPC-Web), with context from `connection`
 * where it has none: only such a record is decoded whole and encoded again.
 */
export function withConnectionFramed(framed: FramedRecord, connection: Connection, limits: ValidationLimits): FramedRecord {
  if (!('record' in framed) || framed.record.kind?.$case !== 'event') return framed;
  const context = framed.record.kind.value.context;
  if (context !== undefined && context.ip !== '' && context.userAgent !== '') return framed;
  const whole = decodeRecord(framed.bytes);
  return 'record' in whole ? frameRecord(whole, limits, connection) : framed;
}

/**
 * Ingests one request frame of an authenticated source, read off the wire by
 * gRPC or by the Connect door's binary form; `connection` is what the gRPC-Web
 * bridge passed, if it did.
 */
export async function ingestFrame(
  ingest: Ingest,
  sourceId: string,
  frame: RequestFrame,
  maxRequestBytes: number,
  limits: ValidationLimits,
  connection: Connection | undefined,
  peer?: () => Peer,
): Promise<IngestResponse> {
  if (frame.kind === 'too-large') {
    throw new IngestError('REQUEST_TOO_LARGE', `the request is ${frame.size} bytes; at most ${maxRequestBytes} are allowed`, {
      metadata: { max_bytes: String(maxRequestBytes), bytes: String(frame.size) },
    });
  }
  if (frame.kind === 'malformed') {
    throw new IngestError('MALFORMED_REQUEST', `the request is not a readable IngestRequest: ${frame.problem}`);
  }
  const records = connection === undefined ? frame.records : frame.records.map((framed) => withConnectionFramed(framed, connection, limits));
  return ingest({ sourceId, records, sentAt: frame.sentAt, peer });
}
