/**
 * Waiting between attempts: exponential backoff from 100 ms, capped, and a
 * sleep a stop can cut short. Shared by the consumer loops (retrying a
 * batch's steps) and by start-up (waiting for NATS and ClickHouse).
 */

const FIRST_RETRY_MS = 100;

/** Exponential backoff from 100 ms for the `attempt`-th retry (from 1), capped at `maxMs`. */
export const backoffMs = (attempt: number, maxMs: number): number => Math.min(maxMs, FIRST_RETRY_MS * 2 ** Math.min(Math.max(attempt, 1) - 1, 20));

/** The message of any thrown value. */
export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Resolves after `ms`, or as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
