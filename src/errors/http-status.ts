/**
 * The HTTP status of a whole-call failure, for every HTTP transport (the
 * Connect door, the Intempt and Segment doors), beside the gRPC code the
 * error table gives it: the gRPC code's status as the Connect protocol maps
 * it, except for a body too large (413) and one the door cannot read (415).
 */
import { status as Code } from '@grpc/grpc-js';
import type { ErrorReason, IngestError } from './ingest-error';

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
