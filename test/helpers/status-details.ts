/**
 * Reads the google.rpc.Status details of a failed call, as a client library
 * would: ErrorInfo, BadRequest and RetryInfo out of `grpc-status-details-bin`.
 */
import type { ServiceError } from '@grpc/grpc-js';
import { BadRequest, ErrorInfo, RetryInfo } from '../../src/gen/google/rpc/error_details';
import { Status } from '../../src/gen/google/rpc/status';

/** The decoded details of a failed call. */
export interface StatusDetails {
  readonly status: Status;
  readonly errorInfo?: ErrorInfo;
  readonly badRequest?: BadRequest;
  readonly retryInfo?: RetryInfo;
}

/** Decodes the details trailer of `error`; throws when it has none. */
export function statusDetails(error: ServiceError): StatusDetails {
  const raw = error.metadata?.get('grpc-status-details-bin')[0];
  if (!(raw instanceof Buffer)) throw new Error(`the error has no grpc-status-details-bin: ${error.message}`);
  return decodeStatusDetails(raw);
}

/** Decodes a google.rpc.Status (the bytes of a grpc-status-details-bin trailer). */
export function decodeStatusDetails(raw: Uint8Array): StatusDetails {
  const status = Status.decode(raw);
  const find = (name: string) => status.details.find((d) => d.typeUrl === `type.googleapis.com/google.rpc.${name}`)?.value;
  const decodeIf = <T>(value: Uint8Array | undefined, decode: (bytes: Uint8Array) => T) => (value === undefined ? undefined : decode(value));
  return {
    status,
    errorInfo: decodeIf(find('ErrorInfo'), (b) => ErrorInfo.decode(b)),
    badRequest: decodeIf(find('BadRequest'), (b) => BadRequest.decode(b)),
    retryInfo: decodeIf(find('RetryInfo'), (b) => RetryInfo.decode(b)),
  };
}

/** Awaits a call that must fail, and returns its ServiceError. */
export async function failureOf(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('the call succeeded but was expected to fail');
}
