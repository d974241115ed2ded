/**
 * How the SDK reaches the gateway: one Ingest call per batch. Two transports
 * implement it (gRPC with grpc-js in Node, gRPC-Web over fetch anywhere); a
 * failed call becomes a {@link TributaryError} with the gRPC status and what
 * the google.rpc details say about it.
 */
import { ErrorInfo, RetryInfo } from './gen/google/rpc/error_details';
import { Status } from './gen/google/rpc/status';
import type { IngestRequest, IngestResponse } from './gen/tributary/ingest/v1/ingest_service';

/** The method both transports call. */
export const INGEST_PATH = '/tributary.ingest.v1.IngestService/Ingest';

/** gRPC status codes the SDK acts on. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** A whole call that failed: its gRPC status, message, and the reason and retry delay from its details. */
export class TributaryError extends Error {
  constructor(
    /** The gRPC status code. */
    readonly code: number,
    message: string,
    /** ErrorInfo.reason, such as UNKNOWN_API_KEY, when the server sent one. */
    readonly reason?: string,
    /** RetryInfo.retry_delay in milliseconds, when the server asked for one. */
    readonly retryDelayMs?: number,
  ) {
    super(message);
    this.name = 'TributaryError';
  }
}

/** Builds the error of a failed call from its status and the bytes of its grpc-status-details-bin, if any. */
export function errorFromStatus(code: number, message: string, details?: Uint8Array): TributaryError {
  if (details === undefined || details.length === 0) return new TributaryError(code, message);
  try {
    const status = Status.decode(details);
    const find = (name: string) => status.details.find((any) => any.typeUrl === `type.googleapis.com/google.rpc.${name}`)?.value;
    const info = find('ErrorInfo');
    const retry = find('RetryInfo');
    const delay = retry === undefined ? undefined : RetryInfo.decode(retry).retryDelay;
    return new TributaryError(
      code,
      status.message || message,
      info === undefined ? undefined : ErrorInfo.decode(info).reason,
      delay === undefined ? undefined : delay.seconds * 1000 + Math.floor(delay.nanos / 1e6),
    );
  } catch {
    return new TributaryError(code, message);
  }
}

/** One way to send a batch. */
export interface Transport {
  /** Sends one Ingest call; rejects with a {@link TributaryError}. */
  ingest(request: IngestRequest, timeoutMs: number): Promise<IngestResponse>;
  /** Sends one Ingest call that may outlive the page, without waiting for its answer (gRPC-Web in browsers only). */
  sendBeforeUnload?(request: IngestRequest): void;
  close(): void;
}
