/**
 * What every HTTP door shares: authenticating a request before its body is
 * read, turning the records it made from a body into framed records for
 * ingest() (each checked for strings that are not Unicode, then framed as
 * framing.ts frames every transport's records), and the answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Reason, type ValidationLimits } from '../../contract';
import { connectCode, httpStatusOf } from '../../errors/http-status';
import { asIngestError, type IngestError } from '../../errors/ingest-error';
import { RecordResult, RecordStatus, type IngestResponse } from '../../gen/tributary/ingest/v1/ingest_service';
import type { AuthGate, KeyFinder } from '../auth-gate';
import { connectionOf } from '../connection';
import type { CorsPolicy } from '../cors';
import { frameRecord, violation, type MadeRecord } from '../framing';
import type { Ingest } from '../ingest';
import type { FramedRecord } from '../request-frame';
import { illFormedField } from './unicode';
import type { Peer } from '../../stream/accounting-message';

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

/** `item`, or the violation of its first string that is not Unicode: encoding would change that string. */
function unicodeChecked(item: MadeRecord): MadeRecord {
  if (!('record' in item)) return item;
  const field = illFormedField(item.record);
  if (field === undefined) return item;
  return { violation: violation(field, Reason.INVALID_FORMAT, `${field} holds a lone surrogate (such as \\ud800), which is not Unicode and cannot be stored.`), eventId: item.record.eventId };
}

/** Where a door's request came from, worked out when a rejection sample asks. */
export const doorPeer = (transport: string, request: IncomingMessage, deps: DoorDependencies) => (): Peer => ({ transport, ...connectionOf(request, deps.trustedProxies) });

/** Frames the records a door made from JSON, filling context from the connection when the settings say so. */
export function frameRecords(made: readonly MadeRecord[], deps: DoorDependencies, request: IncomingMessage): FramedRecord[] {
  const connection = deps.contextFromConnection ? connectionOf(request, deps.trustedProxies) : undefined;
  return made.map((item) => frameRecord(unicodeChecked(item), deps.limits, connection));
}

/**
 * Runs `check` (an authentication) before any of the request's body is
 * read: a request refused with some of its body still to come has its
 * connection closed after the answer, so that the rest is never read.
 */
export async function beforeBody<T>(request: IncomingMessage, response: ServerResponse, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (!request.complete) response.setHeader('connection', 'close');
    throw error;
  }
}

/** Authenticates a door's request before any of its body is read (AuthGate, {@link beforeBody}): the source of the key that `keyOf` finds. */
export function authenticate(request: IncomingMessage, response: ServerResponse, deps: DoorDependencies, keyOf: KeyFinder, hint: string): Promise<string> {
  return beforeBody(request, response, () => deps.gate.authenticate(connectionOf(request, deps.trustedProxies).ip, keyOf, hint));
}

/** Response headers by name. */
export type HeaderMap = { [name: string]: string };

/** Headers of an answer: JSON, CORS for the request's origin, and Retry-After when the failure says when to retry. */
export function answerHeaders(request: IncomingMessage, deps: DoorDependencies, contentType = 'application/json', error?: IngestError): HeaderMap {
  return { ...plainHeaders(contentType, error), ...deps.cors.responseHeaders(request.headers.origin, []) };
}

/** Headers of an answer without CORS: its content type, and Retry-After when the failure says when to retry. */
export function plainHeaders(contentType: string, error?: IngestError): HeaderMap {
  const retryAfterMs = error?.retryAfterMs;
  return retryAfterMs === undefined ? { 'content-type': contentType } : { 'content-type': contentType, 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) };
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
export function sendResults(
  request: IncomingMessage,
  response: ServerResponse,
  deps: DoorDependencies,
  answer: IngestResponse,
  results: unknown[] = answer.results.map((r) => RecordResult.toJSON(r)),
): void {
  const rejected = answer.results.some((r) => r.status === RecordStatus.REJECTED);
  sendJson(response, rejected ? 400 : 200, answerHeaders(request, deps), { results });
}

/** Answers a whole-call failure of the Intempt and Segment doors: `{"error": {code, reason, message}}`. */
export function sendFailure(request: IncomingMessage, response: ServerResponse, deps: DoorDependencies, failure: unknown): void {
  const error = asIngestError(failure);
  sendJson(response, httpStatusOf(error), answerHeaders(request, deps, 'application/json', error), { error: { code: connectCode(error.code), reason: error.reason, message: error.message } });
}
