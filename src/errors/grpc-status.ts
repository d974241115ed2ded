/**
 * Turns any failure into the gRPC error a client sees: the status code from
 * the IngestError table, and google.rpc.Status details (ErrorInfo, BadRequest,
 * RetryInfo) in the `grpc-status-details-bin` trailer, as Google APIs do.
 */
import { Metadata, type StatusObject } from '@grpc/grpc-js';
import { BadRequest, ErrorInfo, RetryInfo } from '../gen/google/rpc/error_details';
import { Status } from '../gen/google/rpc/status';
import { asIngestError, type IngestError } from './ingest-error';

/** The ErrorInfo domain of every Tributary error. */
export const ERROR_DOMAIN = 'tributary.ingest.v1';

/** The trailer that carries the encoded google.rpc.Status. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

const packAny = (typeName: string, value: Uint8Array) => ({ typeUrl: `type.googleapis.com/${typeName}`, value: Buffer.from(value) });

/** The google.rpc.Status of an IngestError: code, message and the details it carries. */
export function toRpcStatus(error: IngestError): Status {
  const { violations, metadata } = error.options;
  const { retryAfterMs } = error;
  const details = [packAny('google.rpc.ErrorInfo', ErrorInfo.encode({ reason: error.reason, domain: ERROR_DOMAIN, metadata: { ...metadata } }).finish())];
  if (violations !== undefined && violations.length > 0) {
    const fieldViolations = violations.map(({ field, description }) => ({ field, description, reason: error.reason }));
    details.push(packAny('google.rpc.BadRequest', BadRequest.encode({ fieldViolations }).finish()));
  }
  if (retryAfterMs !== undefined) {
    const retryDelay = { seconds: Math.floor(retryAfterMs / 1000), nanos: (retryAfterMs % 1000) * 1_000_000 };
    details.push(packAny('google.rpc.RetryInfo', RetryInfo.encode({ retryDelay }).finish()));
  }
  return { code: error.code, message: error.message, details };
}

/** The status a grpc-js handler passes to its callback (or emits on a stream, or an interceptor ends a call with) for any failure. */
export function toServiceError(failure: unknown): StatusObject {
  const error = asIngestError(failure);
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(Status.encode(toRpcStatus(error)).finish()));
  return { code: error.code, details: error.message, metadata };
}
