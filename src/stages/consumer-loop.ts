/**
 * The loop of a stage that drains a durable pull consumer in batches (the
 * sink, the identity stage): take a batch off the consumer's continuous pull
 * (bounded by count and time: message-batches.ts), hand it to the
 * stage, repeat until stopped. A stage's step that fails
 * transiently is retried with exponential backoff while the batch stays
 * unacked, its ack wait kept alive; a batch that has failed for longer than
 * the stall bound makes the stage not ready, with the reason, and is counted
 * once. Stopping cuts a failing batch off and hands it back (nak), so it is
 * redelivered at once.
 */
import type { Consumer, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Config } from '../config/settings';
import { backoffMs, errorMessage, sleep } from '../lifecycle/backoff';
import { HAND_BACK_DELAY_MS, MessageBatches } from './message-batches';

/**
 * How long each pull request of the continuous pull lasts (the client renews
 * it), which also sets its heartbeats (half of it) and the pause before it
 * pulls again when a pull fails. The client's 30 s kept a stage idle for up
 * to 35 s after it moved to another node while the consumer's new leader was
 * being elected: its first pull there failed, and the next came 30 s later;
 * at 5 s the sink stored again 8 to 17.5 s after its node was cut off, against
 * a limit of 15 s (test/integration/faults/partitions.test.ts).
 */
const PULL_EXPIRES_MS = 3_000;

/** The loop's bounds. */
export interface ConsumerLoopOptions {
  readonly batchSize: number;
  readonly batchWaitMs: number;
  /** Longest pause between retries. */
  readonly retryMaxMs: number;
  /** How long a batch may keep failing before the stage reports itself not ready. */
  readonly stallAfterMs: number;
}

/** The loop's bounds as the configuration sets them (the sink's settings serve every stage). */
export const consumerLoopOptions = (config: Config): ConsumerLoopOptions => ({
  batchSize: config.sinkBatchSize,
  batchWaitMs: config.sinkBatchWaitMs,
  retryMaxMs: config.sinkRetryMaxMs,
  stallAfterMs: config.sinkStallAfterMs,
});

/** Messages `consumers` of `stream` have not acked yet (undelivered plus awaiting ack), for the backlog gauges. */
export async function backlog(jsm: JetStreamManager, stream: string, consumers: readonly string[]): Promise<number> {
  let pending = 0;
  for (const consumer of consumers) {
    const info = await jsm.consumers.info(stream, consumer);
    pending += info.num_pending + info.num_ack_pending;
  }
  return pending;
}

/** What the loop's stage is doing, for readiness and metrics. */
export interface LoopHealth {
  /** When the failing batch or fetch first failed, or undefined while things work. */
  failingSince: number | undefined;
  /** The last failure's message. */
  lastError: string;
  /** Retries of a batch's steps so far. */
  retries: number;
  /** Batches that failed for longer than the stall bound. */
  stalls: number;
}

/** Runs one step of a batch until it succeeds (or the loop stops). */
export type Retrying = <T>(what: string, work: () => Promise<T>) => Promise<T>;

/** A stage's handling of one batch; it acks, naks or terms every message it was given. */
export type BatchHandler = (batch: readonly JsMsg[], retrying: Retrying) => Promise<void>;

/** Drains a consumer into a stage until stopped. */
export class ConsumerLoop {
  readonly health: LoopHealth = { failingSince: undefined, lastError: '', retries: 0, stalls: 0 };
  private stopping = false;
  /** Ends a pause between retries as soon as the loop is told to stop. */
  private readonly stopped = new AbortController();
  private running: Promise<void> | undefined;
  private batches: MessageBatches | undefined;
  private stalled = false;

  constructor(
    private readonly name: string,
    private readonly consumer: Consumer,
    private readonly handle: BatchHandler,
    private readonly options: ConsumerLoopOptions,
    private readonly logger: Logger,
    private readonly onStall: () => void = () => undefined,
  ) {}

  /** Starts consuming. */
  start(): void {
    this.running = this.loop();
  }

  /** Finishes the batch in hand (or leaves it unacked if it is still failing) and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    const batches = this.batches;
    batches?.stop();
    await this.running;
    // What the pull delivered beyond the last batch goes back now, not after the ack wait.
    await batches?.handBack();
  }

  /** Whether the stage is ready: true, or why not. */
  ready(): true | string {
    const { failingSince, lastError } = this.health;
    const now = Date.now();
    if (failingSince === undefined || now - failingSince < this.options.stallAfterMs) return true;
    return `failing for ${Math.round((now - failingSince) / 1000)}s: ${lastError}`;
  }

  private backoff(attempt: number): number {
    return backoffMs(attempt, this.options.retryMaxMs);
  }

  private failed(error: unknown): void {
    this.health.failingSince ??= Date.now();
    this.health.lastError = errorMessage(error);
    if (!this.stalled && Date.now() - this.health.failingSince >= this.options.stallAfterMs) {
      this.stalled = true;
      this.health.stalls++;
      this.onStall();
      this.logger.error({ stage: this.name, err: this.health.lastError }, `${this.name} has failed for longer than its stall bound; not ready until it recovers`);
    }
  }

  private recovered(): void {
    this.health.failingSince = undefined;
    this.stalled = false;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        const batch = await this.fetch();
        if (batch.length > 0) await this.handle(batch, (what, work) => this.retrying(batch, what, work));
        failures = 0;
        this.recovered();
      } catch (error) {
        if (this.stopping) break;
        failures++;
        this.failed(error);
        this.logger.warn({ stage: this.name, err: errorMessage(error), attempt: failures }, `${this.name} could not fetch or handle a batch; retrying`);
        await sleep(this.backoff(failures), this.stopped.signal);
      }
    }
  }

  /** The next batch from the consumer's continuous pull, started (again) when there is none. */
  private async fetch(): Promise<JsMsg[]> {
    const batches = (this.batches ??= new MessageBatches(
      await this.consumer.consume({ max_messages: this.options.batchSize, expires: PULL_EXPIRES_MS }),
      this.options.batchSize,
      this.options.batchWaitMs,
    ));
    try {
      const batch = await batches.next();
      if (batch.length === 0) {
        // The pull has ended: stopped (the loop then ends), or by the client (then a new one starts after a pause).
        this.batches = undefined;
        if (!this.stopping) throw new Error('the pull of the consumer ended; starting a new one');
      }
      return batch;
    } catch (error) {
      batches.stop();
      this.batches = undefined;
      throw error;
    }
  }

  /** Runs `work` until it succeeds, keeping the batch's ack wait alive; gives up only when stopping. */
  private async retrying<T>(batch: readonly JsMsg[], what: string, work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (this.stopping) throw error;
        this.health.retries++;
        this.failed(error);
        this.logger.warn({ stage: this.name, err: errorMessage(error), attempt, messages: batch.length }, `${what} failed; the batch stays unacked and is retried`);
        for (const msg of batch) msg.working();
        await sleep(this.backoff(attempt), this.stopped.signal);
        if (this.stopping) {
          // Told to stop during the pause: the batch is cut off, handed back at once (what was acked stays acked) for another sink or the next start.
          for (const msg of batch) msg.nak(HAND_BACK_DELAY_MS);
          throw error;
        }
      }
    }
  }
}
