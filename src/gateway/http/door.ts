/**
 * What every HTTP door shares: authenticating a request before its body is
 * read, turning the records it made from a body into framed records for
 * ingest() (each checked for strings that are not Unicode, encoded as the
 * gRPC path would receive it, and decoded back, so what is validated is what
 * is stored), the HTTP status of a whole-call failure, and the answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { status as Code } from '@grpc/grpc-js';
import { decodeRecord, Reason, type ValidationLimits } from '../../contract';
import { asIngestError, type ErrorReason, type IngestError } from '../../errors/ingest-error';
import { RecordResult, RecordStatus, type FieldViolation, type IngestResponse } from '../../gen/tributary/ingest/v1/ingest_service';
import { Record } from '../../gen/tributary/ingest/v1/record';
import type { AuthGate, KeyFinder } from '../auth-gate';
import type { CorsPolicy } from '../cors';
import type { Ingest } from '../ingest';
import type { FramedRecord } from '../request-frame';
import { connectionOf, withConnection, type Connection } from './connection';
import { illFormedField } from './unicode';

/** What the HTTP doors need from the gateway. */
export interface DoorDependencies {
  readonly ingest: Ingest;
  /** The keys, behind the throttle of failed authentications. */
  readonly gate: AuthGate;
  readonly limits: ValidationLimits;
  /** Largest body, on the wire and gunzipped. */
  readonly maxBodyBytes: number;
  readonly maxRequestBytes: number;
  readonly cors: CorsPolicy;
  /** Whether records without context.ip and context.user_agent get the connection's. */
  readonly contextFromConnection: boolean;
  readonly trustedProxies: readonly string[];
}

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

/** `item`, or the violation of its first string that is not Unicode: encoding would change that string. */
function unicodeChecked(item: MadeRecord): MadeRecord {
  if (!('record' in item)) return item;
  const field = illFormedField(item.record);
  if (field === undefined) return item;
  return { violation: violation(field, Reason.INVALID_FORMAT, `${field} holds a lone surrogate (such as \\ud800), which is not Unicode and cannot be stored.`), eventId: item.record.eventId };
}

/** Frames the records a door made from JSON, filling context from the connection when the settings say so. */
export function frameRecords(made: readonly MadeRecord[], deps: DoorDependencies, request: IncomingMessage): FramedRecord[] {
  const connection = deps.contextFromConnection ? connectionOf(request, deps.trustedProxies) : undefined;
  return made.map((item) => frameRecord(unicodeChecked(item), deps.limits, connection));
}

/**
 * Authenticates a door's request before any of its body is read (AuthGate):
 * the source of the key that `keyOf` finds. A request refused with some of
 * its body still to come has its connection closed after the answer, so that
 * the rest is never read.
 */
export async function authenticate(request: IncomingMessage, response: ServerResponse, deps: DoorDependencies, keyOf: KeyFinder, hint: string): Promise<string> {
  try {
    return await deps.gate.authenticate(connectionOf(request, deps.trustedProxies).ip, keyOf, hint);
  } catch (error) {
    if (!request.complete) response.setHeader('connection', 'close');
    throw error;
  }
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

/** Response headers by name. */
export type HeaderMap = { [name: string]: string };

/** HTTP status of each gRPC code, as the Connect protocol maps them. */
const HTTP_STATUS: { readonly [code: number]: number } = {
  [Code.CANCELLED]: 499,
  [Code.UNKNOWN]: 500,
  [Code.INVALID_ARGUMENT]: 400,
  [Code.DEADLINE_EXCEEDED]: 504,
  [Code.NOT_FOUND]: 404,
  [Code.ALREADY_EXISTS]: 409,
  [Code.PERMISSION_DENIED]: 403,
  [Code.RESOURCE_EXHAUSTED]: 429,
  [Code.FAILED_PRECONDITION]: 400,
  [Code.ABORTED]: 409,
  [Code.OUT_OF_RANGE]: 400,
  [Code.UNIMPLEMENTED]: 501,
  [Code.INTERNAL]: 500,
  [Code.UNAVAILABLE]: 503,
  [Code.DATA_LOSS]: 500,
  [Code.UNAUTHENTICATED]: 401,
};

/** The Connect name of a gRPC code: resource_exhausted, unavailable… */
export const connectCode = (code: Code): string => (Code[code] ?? 'UNKNOWN').toLowerCase();

/** Reasons whose HTTP status is not their code's: a body too large, and one the door cannot read. */
const HTTP_STATUS_OF_REASON: { readonly [reason in ErrorReason]?: number } = { REQUEST_TOO_LARGE: 413, UNSUPPORTED_MEDIA_TYPE: 415 };

/** The HTTP status of a whole-call failure. */
export const httpStatusOf = (error: IngestError): number => HTTP_STATUS_OF_REASON[error.reason] ?? HTTP_STATUS[error.code] ?? 500;

/** Headers of an answer: JSON, CORS for the request's origin, and Retry-After when the failure says when to retry. */
export function answerHeaders(request: IncomingMessage, deps: DoorDependencies, contentType = 'application/json', error?: IngestError): HeaderMap {
  const headers: HeaderMap = { 'content-type': contentType, ...deps.cors.responseHeaders(request.headers.origin, []) };
  const retryAfterMs = error?.retryAfterMs;
  if (retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  return headers;
}

/** Sends a JSON answer. */
export function sendJson(response: ServerResponse, status: number, headers: HeaderMap, body: unknown): void {
  response.writeHead(status, headers).end(`${JSON.stringify(body)}\n`);
}

/**
 * Answers a door's request with its results (by default one per record, as
 * gRPC gives them): 200 when every record was accepted or a duplicate, 400
 * when any was rejected (the others are stored).
 */
export function sendResults(request: IncomingMessage, response: ServerResponse, deps: DoorDependencies, answer: IngestResponse, results: unknown[] = answer.results.map((r) => RecordResult.toJSON(r))): void {
  const rejected = answer.results.some((r) => r.status === RecordStatus.REJECTED);
  sendJson(response, rejected ? 400 : 200, answerHeaders(request, deps), { results });
}

/** Answers a whole-call failure of the Intempt and Segment doors: `{"error": {code, reason, message}}`. */
export function sendFailure(request: IncomingMessage, response: ServerResponse, deps: DoorDependencies, failure: unknown): void {
  const error = asIngestError(failure);
  sendJson(response, httpStatusOf(error), answerHeaders(request, deps, 'application/json', error), { error: { code: connectCode(error.code), reason: error.reason, message: error.message } });
}
