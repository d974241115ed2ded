/**
 * The one error type of Tributary: an UPPER_SNAKE reason, a message for
 * people, whether retrying can help, and the cause. One table maps each
 * reason to its gRPC status code (AIP-193 style), so every transport answers
 * the same failure the same way.
 */
import { status } from '@grpc/grpc-js';

/** The reasons a whole call can fail for, with the gRPC code and whether a retry can succeed. */
export const ERROR_REASONS = Object.freeze({
  /** The call carried no `authorization: Bearer <key>`. */
  MISSING_API_KEY: { code: status.UNAUTHENTICATED, retryable: false },
  /** The call's API key is not known to the server. */
  UNKNOWN_API_KEY: { code: status.UNAUTHENTICATED, retryable: false },
  /** A source's write key on the admin API, which takes the admin key only. */
  NOT_ADMIN_KEY: { code: status.PERMISSION_DENIED, retryable: false },
  /** An admin request breaks a rule of its contract (tributary.admin.v1); the violations name the fields. */
  INVALID_ADMIN_REQUEST: { code: status.INVALID_ARGUMENT, retryable: false },
  /** The admin request names a regulation that does not exist. */
  UNKNOWN_REGULATION: { code: status.NOT_FOUND, retryable: false },
  /** The admin request names a task that does not exist. */
  UNKNOWN_TASK: { code: status.NOT_FOUND, retryable: false },
  /** As many tasks as the installation runs at once are running already; a new one is refused until one ends. */
  TOO_MANY_TASKS: { code: status.RESOURCE_EXHAUSTED, retryable: false },
  /** A redrive is running already: two at once, in two sink processes, could each send one dead letter through. */
  REDRIVE_RUNNING: { code: status.FAILED_PRECONDITION, retryable: false },
  /** The client's address failed to authenticate too often of late; no key is compared until its window passes. */
  AUTH_THROTTLED: { code: status.RESOURCE_EXHAUSTED, retryable: true },
  /** The request could not be decoded as an IngestRequest (or, on the HTTP doors, its body is not JSON or does not gunzip). */
  MALFORMED_REQUEST: { code: status.INVALID_ARGUMENT, retryable: false },
  /** A JSON body nests deeper than any valid request can. */
  TOO_DEEP: { code: status.INVALID_ARGUMENT, retryable: false },
  /** The body's content type or content encoding is not one the door reads. */
  UNSUPPORTED_MEDIA_TYPE: { code: status.UNIMPLEMENTED, retryable: false },
  /** The request has no record. */
  EMPTY_BATCH: { code: status.INVALID_ARGUMENT, retryable: false },
  /** The request has more records than the server allows. */
  TOO_MANY_RECORDS: { code: status.INVALID_ARGUMENT, retryable: false },
  /** The request message is larger than the server allows. */
  REQUEST_TOO_LARGE: { code: status.RESOURCE_EXHAUSTED, retryable: false },
  /** Too many records are waiting for the stream; retry after a pause. */
  OVERLOADED: { code: status.RESOURCE_EXHAUSTED, retryable: true },
  /** The source sends more records than its rate limit (the sources file) allows; retry after the RetryInfo delay. */
  RATE_LIMITED: { code: status.RESOURCE_EXHAUSTED, retryable: true },
  /** The stream is full and refuses new records until the sink catches up. */
  STREAM_FULL: { code: status.RESOURCE_EXHAUSTED, retryable: true },
  /** The stream could not be reached or did not confirm in time; retry with the same event ids. */
  STREAM_UNAVAILABLE: { code: status.UNAVAILABLE, retryable: true },
  /** The server is shutting down; retry against another instance. */
  SHUTTING_DOWN: { code: status.UNAVAILABLE, retryable: true },
  /** A fault in the server itself. */
  INTERNAL: { code: status.INTERNAL, retryable: false },
});

/** How long a client should wait before retrying a failure the table calls retryable: sent as google.rpc.RetryInfo. */
export const RETRY_AFTER_MS = 1000;

/** One of the reasons of {@link ERROR_REASONS}. */
export type ErrorReason = keyof typeof ERROR_REASONS;

/** A field of the request that made the whole call fail (google.rpc.BadRequest). */
export interface RequestFieldViolation {
  readonly field: string;
  readonly description: string;
}

/** What an IngestError may carry besides its reason and message. */
export interface IngestErrorOptions {
  readonly cause?: unknown;
  /** Fields of the request at fault; sent as google.rpc.BadRequest. */
  readonly violations?: readonly RequestFieldViolation[];
  /** Facts for programs, such as the limit that was passed; sent in google.rpc.ErrorInfo. */
  readonly metadata?: { readonly [key: string]: string };
  /** For a retryable failure that knows when a retry can succeed (a throttle's window), how long to wait instead of RETRY_AFTER_MS. */
  readonly retryAfterMs?: number;
}

/** A failure of a whole call. */
export class IngestError extends Error {
  constructor(
    readonly reason: ErrorReason,
    message: string,
    readonly options: IngestErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'IngestError';
  }

  /** The gRPC status code this failure is answered with. */
  get code(): status {
    return ERROR_REASONS[this.reason].code;
  }

  /** Whether the same call may succeed later. */
  get retryable(): boolean {
    return ERROR_REASONS[this.reason].retryable;
  }

  /**
   * How long to wait before retrying, for a retryable failure: every
   * transport sends it (RetryInfo, Retry-After), and it is the one thing
   * that tells a client to retry a RESOURCE_EXHAUSTED. Undefined otherwise.
   */
  get retryAfterMs(): number | undefined {
    return this.retryable ? (this.options.retryAfterMs ?? RETRY_AFTER_MS) : undefined;
  }
}

/** Any failure as an IngestError: a fault of the server's own is INTERNAL, its cause kept. */
export const asIngestError = (failure: unknown): IngestError => (failure instanceof IngestError ? failure : new IngestError('INTERNAL', 'internal error', { cause: failure }));
