/**
 * When to try a failed batch again: which gRPC statuses are worth a retry
 * (the gateway is unavailable or overloaded; the records are not the
 * problem), and how long to wait: exponential with full jitter, at least what
 * the server's RetryInfo asked for.
 */
import { GrpcCode, type TributaryError } from './transport';

const RETRYABLE: ReadonlySet<number> = new Set([GrpcCode.UNAVAILABLE, GrpcCode.RESOURCE_EXHAUSTED, GrpcCode.DEADLINE_EXCEEDED]);

/** Whether a batch that failed with `error` should be sent again, with the same event ids. */
export function isRetryable(error: TributaryError): boolean {
  return RETRYABLE.has(error.code);
}

/** The wait before retry number `attempt` (1, 2, …): up to min(max, base·2^(attempt-1)), and never less than the server asked. */
export function retryDelayMs(attempt: number, error: TributaryError, options: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** (attempt - 1));
  return Math.max(error.retryDelayMs ?? 0, Math.round(random() * ceiling));
}
