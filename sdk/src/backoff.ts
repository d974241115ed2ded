/**
 * When to try a failed batch again, by the rule OTLP gives its exporters:
 * UNAVAILABLE and DEADLINE_EXCEEDED always, RESOURCE_EXHAUSTED only when the
 * server sent RetryInfo (the gateway sends it for load and a full stream,
 * never for a request that is too large, which no retry can cure); and how
 * long to wait: exponential with full jitter, at least what RetryInfo asked.
 * A batch refused as too large is split instead (see {@link isTooLarge}).
 */
import { GrpcCode, type TributaryError } from './transport';

/** Whether a batch that failed with `error` should be sent again, with the same event ids. */
export function isRetryable(error: TributaryError): boolean {
  if (error.code === GrpcCode.UNAVAILABLE || error.code === GrpcCode.DEADLINE_EXCEEDED) return true;
  return error.code === GrpcCode.RESOURCE_EXHAUSTED && error.retryDelayMs !== undefined;
}

/**
 * Whether `error` refuses the batch for its size: RESOURCE_EXHAUSTED without
 * RetryInfo (the request's bytes, or the gRPC-Web body), or too many records.
 * Such a batch goes out again in halves.
 */
export function isTooLarge(error: TributaryError): boolean {
  return (error.code === GrpcCode.RESOURCE_EXHAUSTED && error.retryDelayMs === undefined) || error.reason === 'TOO_MANY_RECORDS';
}

/** The wait before retry number `attempt` (1, 2, …): up to min(max, base·2^(attempt-1)), and never less than the server asked. */
export function retryDelayMs(attempt: number, error: TributaryError, options: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** (attempt - 1));
  return Math.max(error.retryDelayMs ?? 0, Math.round(random() * ceiling));
}
