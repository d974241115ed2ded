/**
 * The SDK's queue and delivery loop: records wait in a bounded queue, go out
 * in batches (by count, or after an interval), one batch at a time in order.
 * A batch that fails with a retryable status is sent again with the same
 * records, so the same event ids, after a backoff, until it is answered or the
 * client closes. A batch refused as too large is sent again in halves, down
 * to one record, which then fails with the reason. Every record's promise
 * settles with what became of it.
 */
import type { Record } from './gen/tributary/ingest/v1/record';
import { DropReason, RecordStatus, type FieldViolation, type RecordResult } from './gen/tributary/ingest/v1/ingest_service';
import { isRetryable, isTooLarge, retryDelayMs } from './backoff';
import { TributaryError, type Transport } from './transport';

/** What became of one record. */
export type Outcome =
  | { readonly status: 'accepted' | 'duplicate'; readonly eventId: string; readonly sequence: number }
  | { readonly status: 'rejected'; readonly eventId: string; readonly violations: readonly FieldViolation[] }
  | { readonly status: 'failed'; readonly eventId: string; readonly error: TributaryError }
  | { readonly status: 'dropped'; readonly eventId: string; readonly reason: DropCause };

/**
 * Why a record was dropped: by this client (its queue was full, or it was
 * closed), or by the server's policy (`suppressed`: the person's data must
 * not be collected; `no-consent`, `consent-rejected`, `consent-expired`: the
 * source's consent policy needs a decision the person has not given, has
 * rejected, or let expire). Settled either way: a dropped record is never
 * retried.
 */
export type DropCause = 'queue-full' | 'closed' | 'close-timeout' | 'suppressed' | 'no-consent' | 'consent-rejected' | 'consent-expired' | 'policy';

/** The server's drop reasons as the client names them; a reason newer than this client is `policy`. */
const SERVER_DROP: { readonly [reason: number]: DropCause } = {
  [DropReason.SUPPRESSED]: 'suppressed',
  [DropReason.NO_CONSENT]: 'no-consent',
  [DropReason.CONSENT_REJECTED]: 'consent-rejected',
  [DropReason.CONSENT_EXPIRED]: 'consent-expired',
};

/** How delivery behaves. */
export interface DeliveryOptions {
  /** Most records in one request. */
  readonly batchSize: number;
  /** Longest a record waits for its batch to fill. */
  readonly flushIntervalMs: number;
  /** Most records waiting; a record beyond it is dropped (the newest, so the order of the rest holds). */
  readonly maxQueue: number;
  /** Deadline of one request. */
  readonly requestTimeoutMs: number;
  /** First and longest wait between retries. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Told of every outcome that is not accepted or duplicate. */
  readonly onProblem?: (outcome: Outcome) => void;
  /** Told of every failed attempt that will be retried, before the wait. */
  readonly onRetry?: (error: TributaryError, attempt: number, delayMs: number) => void;
}

interface Pending {
  readonly record: Record;
  readonly settle: (outcome: Outcome) => void;
}

function fromResult(result: RecordResult): Outcome {
  if (result.status === RecordStatus.REJECTED) return { status: 'rejected', eventId: result.eventId, violations: result.violations };
  if (result.status === RecordStatus.DROPPED) return { status: 'dropped', eventId: result.eventId, reason: SERVER_DROP[result.dropReason] ?? 'policy' };
  return { status: result.status === RecordStatus.DUPLICATE ? 'duplicate' : 'accepted', eventId: result.eventId, sequence: result.sequence };
}

/** The queue and the loop that empties it. */
export class Delivery {
  private readonly queue: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private retryWait: { timer: ReturnType<typeof setTimeout>; wake: () => void } | undefined;
  private stopped = false;
  private abandoned = false;

  constructor(
    private readonly transport: Transport,
    private readonly options: DeliveryOptions,
  ) {}

  /** Queues a record; the promise settles with its outcome, and never rejects. */
  enqueue(record: Record): Promise<Outcome> {
    return new Promise((resolve) => {
      const settle = (outcome: Outcome) => {
        if (outcome.status !== 'accepted' && outcome.status !== 'duplicate') this.options.onProblem?.(outcome);
        resolve(outcome);
      };
      if (this.stopped) return settle({ status: 'dropped', eventId: record.eventId, reason: 'closed' });
      if (this.queue.length >= this.options.maxQueue) return settle({ status: 'dropped', eventId: record.eventId, reason: 'queue-full' });
      this.queue.push({ record, settle });
      if (this.queue.length >= this.options.batchSize) this.run();
      else this.timer ??= setTimeout(() => this.run(true), this.options.flushIntervalMs);
    });
  }

  /** Records waiting or being sent. */
  get size(): number {
    return this.queue.length;
  }

  /** The records waiting or being sent, oldest first (they stay queued). */
  records(): Record[] {
    return this.queue.map((pending) => pending.record);
  }

  /** Sends everything queued now and resolves once each of those records has its outcome. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 && !this.abandoned) await this.run(true);
  }

  /**
   * Stops taking records; what is queued gets `timeoutMs` to go out. Then no
   * retry starts: a request on the wire still gets its answer, and the
   * records left are dropped as close-timeout.
   */
  async close(timeoutMs: number): Promise<void> {
    this.stopped = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.flush(), expired]);
    clearTimeout(timer);
    this.abandoned = true;
    if (this.retryWait !== undefined) {
      clearTimeout(this.retryWait.timer);
      this.retryWait.wake();
    }
    await this.running;
    for (const pending of this.queue.splice(0)) pending.settle({ status: 'dropped', eventId: pending.record.eventId, reason: 'close-timeout' });
    this.transport.close();
  }

  /** Starts the loop unless it runs; `all` (a flush, or the interval passing) sends a partial batch too. */
  private run(all = false): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running ??= this.loop(all).finally(() => {
      this.running = undefined;
      if (this.queue.length > 0 && !this.stopped) this.timer ??= setTimeout(() => this.run(true), this.options.flushIntervalMs);
    });
    return this.running;
  }

  private async loop(all: boolean): Promise<void> {
    while (this.queue.length > 0 && (all || this.stopped || this.queue.length >= this.options.batchSize)) {
      const batch = this.queue.slice(0, this.options.batchSize);
      const results = await this.send(batch);
      if (results === undefined) return; // abandoned on close
      this.queue.splice(0, batch.length);
      batch.forEach((pending, i) => pending.settle(results[i]));
    }
  }

  /** Sends one batch until it is answered or fails for good; undefined when abandoned. */
  private async send(batch: readonly Pending[]): Promise<Outcome[] | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (this.abandoned) return undefined;
      try {
        const response = await this.transport.ingest({ records: batch.map((p) => p.record), sentAt: new Date() }, this.options.requestTimeoutMs);
        const byId = new Map(response.results.map((result) => [result.eventId, result]));
        return batch.map(({ record }) => {
          const result = byId.get(record.eventId);
          return result === undefined ? { status: 'failed', eventId: record.eventId, error: new TributaryError(13, 'the response has no result for this record') } : fromResult(result);
        });
      } catch (caught) {
        const error = caught instanceof TributaryError ? caught : new TributaryError(13, String(caught));
        if (isTooLarge(error) && batch.length > 1) return this.sendHalves(batch);
        if (!isRetryable(error)) return batch.map(({ record }) => ({ status: 'failed', eventId: record.eventId, error }));
        const delayMs = retryDelayMs(attempt, error, { baseMs: this.options.retryBaseMs, maxMs: this.options.retryMaxMs });
        this.options.onRetry?.(error, attempt, delayMs);
        await this.pause(delayMs);
      }
    }
  }

  /** Sends a batch refused as too large in two halves, one after the other; undefined when abandoned. */
  private async sendHalves(batch: readonly Pending[]): Promise<Outcome[] | undefined> {
    const half = Math.ceil(batch.length / 2);
    const first = await this.send(batch.slice(0, half));
    if (first === undefined) return undefined;
    const second = await this.send(batch.slice(half));
    return second === undefined ? undefined : [...first, ...second];
  }

  private pause(ms: number): Promise<void> {
    return new Promise((wake) => (this.retryWait = { timer: setTimeout(wake, ms), wake }));
  }
}
