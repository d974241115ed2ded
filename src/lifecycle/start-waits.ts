/**
 * Start-up that waits instead of failing at the first refusal: each set-up
 * step that depends on NATS or ClickHouse (connecting, the stream and its
 * consumers, migrations) is retried with backoff until it succeeds, fails
 * for good, the start deadline passes, or the process is told to stop. While
 * a part waits, its readiness names what it waits for and why.
 */
import type { Logger } from 'pino';
import { backoffMs, errorMessage, sleep } from './backoff';

/** Longest pause between two attempts of a set-up step. */
const MAX_PAUSE_MS = 5_000;

/** A start that could not succeed: what it waited for, for how long, and the last reason. */
export class StartFailed extends Error {
  constructor(what: string, waitedMs: number, cause: unknown) {
    super(`tributary could not start: ${what}: ${errorMessage(cause).split('\n')[0]}${waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)}s)` : ''}`, { cause });
    this.name = 'StartFailed';
  }
}

/** A start cut short because the process was told to stop. */
export class StartCancelled extends Error {
  constructor() {
    super('the start was cancelled');
    this.name = 'StartCancelled';
  }
}

/** Tells whether an error will not go away by waiting (a refused key, an impossible definition). */
export type IsPermanent = (error: unknown) => boolean;

/** The waits of one process's start: one deadline and one stop signal for every part. */
export class StartWaits {
  private readonly deadline: number;
  private readonly waiting = new Map<string, string>();

  /** `timeoutMs` bounds the whole start; `signal` cancels it. */
  constructor(
    private readonly logger: Logger,
    timeoutMs: number,
    private readonly signal: AbortSignal = new AbortController().signal,
  ) {
    this.deadline = Date.now() + timeoutMs;
  }

  /** What `part` waits for now ("starting: waiting for …"), for its readiness check until it runs. */
  readiness(part: string): () => string {
    return () => {
      const reason = this.waiting.get(part);
      return reason === undefined ? 'starting' : `starting: ${reason}`;
    };
  }

  /**
   * Runs `step` of `part` until it succeeds; between attempts logs and
   * records what it waits for (`what`, such as "NATS at nats://…"). Throws
   * {@link StartFailed} on a permanent error or at the deadline, and
   * {@link StartCancelled} once the signal aborts.
   */
  async step<T>(part: string, what: string, step: () => Promise<T>, isPermanent: IsPermanent = () => false): Promise<T> {
    const started = Date.now();
    let lastReason = '';
    for (let attempt = 1; ; attempt++) {
      if (this.signal.aborted) throw new StartCancelled();
      try {
        const value = await step();
        this.waiting.delete(part);
        if (attempt > 1) this.logger.info({ part, waitedMs: Date.now() - started }, `${what}: ready`);
        return value;
      } catch (error) {
        if (this.signal.aborted) throw new StartCancelled();
        const pause = backoffMs(attempt, MAX_PAUSE_MS);
        if (isPermanent(error) || Date.now() + pause > this.deadline) throw new StartFailed(what, Date.now() - started, error);
        const reason = errorMessage(error).split('\n')[0];
        this.waiting.set(part, `waiting for ${what}: ${reason}`);
        // Log when the reason changes, not on every attempt.
        if (reason !== lastReason) this.logger.warn({ part, err: reason, attempt }, `waiting for ${what}`);
        lastReason = reason;
        await sleep(pause, this.signal);
      }
    }
  }
}
