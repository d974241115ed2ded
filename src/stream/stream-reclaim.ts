/**
 * Room in a full stream. The stream keeps records by limits (age, and the
 * byte limit the gateways keep), so that it doubles as a replay buffer; and
 * new records are refused when it is full rather than old ones dropped. Without more, a stream that filled while the
 * sink was away would stay full after the sink caught up, until records age
 * out. So, when the stream is past {@link RECLAIM_AT} of its byte limit, the
 * sink purges the records that every consumer of the stream has acknowledged,
 * and the gateways accept again. Nothing unacknowledged is ever purged.
 */
import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { errorMessage } from '../lifecycle/backoff';

/** The share of the stream's byte limit past which acknowledged records are purged. */
export const RECLAIM_AT = 0.8;

/** How often the sink looks at the stream's fill. */
const CHECK_EVERY_MS = 1_000;

/**
 * The first stream sequence some consumer may still need: its ack floor,
 * or the stream's end when it has nothing pending and nothing awaiting ack
 * (a filtered consumer's ack floor stays at the last record of its subjects).
 * `lastSeq` must have been read before `consumers`.
 */
export function firstNeeded(lastSeq: number, consumers: readonly { num_pending: number; num_ack_pending: number; ack_floor: { stream_seq: number } }[]): number {
  let first = lastSeq + 1;
  for (const consumer of consumers) {
    const caughtUp = consumer.num_pending === 0 && consumer.num_ack_pending === 0;
    first = Math.min(first, caughtUp ? lastSeq + 1 : consumer.ack_floor.stream_seq + 1);
  }
  return first;
}

/** Watches the stream's fill and purges what every consumer has acknowledged once it passes {@link RECLAIM_AT}. */
export class StreamReclaimer {
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private stopped = false;

  /** `required` is the consumer that must exist (the sink's): without it, nothing is known to be stored; `limit` is the stream's byte limit (≤ 0: none, and nothing is purged). */
  constructor(
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly limit: number,
    private readonly required: string,
    private readonly logger: Logger,
  ) {}

  /** Starts looking every second. */
  start(): void {
    this.timer = setInterval(() => {
      this.checking ??= this.reclaim()
        .catch((error: unknown) => {
          if (!this.stopped) this.logger.warn({ err: errorMessage(error), stream: this.stream }, 'could not reclaim room in the stream');
        })
        .finally(() => (this.checking = undefined))
        .then(() => undefined);
    }, CHECK_EVERY_MS);
  }

  /** Stops looking; a check in progress is left to end on its own (its requests fail once the connection closes). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** Purges what every consumer has acknowledged when the stream is past its mark; resolves with the number of records purged. */
  async reclaim(): Promise<number> {
    const limit = this.limit;
    if (limit <= 0) return 0;
    const info = await this.jsm.streams.info(this.stream);
    if (info.state.bytes < limit * RECLAIM_AT) return 0;
    const consumers: ConsumerInfo[] = [];
    for await (const consumer of this.jsm.consumers.list(this.stream)) consumers.push(consumer);
    if (!consumers.some((consumer) => consumer.name === this.required)) return 0;
    const first = firstNeeded(info.state.last_seq, consumers);
    if (first <= info.state.first_seq) return 0;
    const { purged } = await this.jsm.streams.purge(this.stream, { seq: first });
    this.logger.info({ stream: this.stream, purged, bytes: info.state.bytes, limit }, 'the stream was nearly full: purged the records every consumer has acknowledged');
    return purged;
  }
}
