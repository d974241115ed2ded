/**
 * Batches off a continuous pull. The consumer's messages arrive through one
 * long-lived `consume()` (the client keeps pull requests open and refills
 * them, and rides out missed heartbeats by pulling again), and are cut into
 * batches here: wait for a first message, then take more until the batch
 * is full or `waitMs` has passed since that first one.
 *
 * A `fetch()` per batch, as before, ends the pull when two heartbeats are
 * missed, and while another stage's ClickHouse call holds the event loop
 * they are: the messages the server had already sent to that pull were then
 * dropped by the client and came back only after the ack wait (30 s).
 */
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';

/**
 * How long a message handed back at stop waits before it is delivered again:
 * long enough for the server to have dropped this connection's pull
 * requests, which would otherwise take it straight back to a client that no
 * longer reads them (and it would wait out the ack wait).
 */
export const HAND_BACK_DELAY_MS = 1_000;

/** Batches of a consumer's messages. */
export class MessageBatches {
  private readonly iterator: AsyncIterator<JsMsg>;
  private pending: Promise<IteratorResult<JsMsg>> | undefined;

  constructor(
    private readonly messages: ConsumerMessages,
    private readonly batchSize: number,
    private readonly waitMs: number,
  ) {
    this.iterator = messages[Symbol.asyncIterator]();
  }

  /**
   * The next batch, in delivery order; a message delivered again while its
   * earlier delivery is still in the batch appears once, as its latest
   * delivery. Empty once the messages have ended (stopped, or the pull
   * failed for good: then make a new one).
   */
  async next(): Promise<JsMsg[]> {
    const first = await this.take(undefined);
    if (first === undefined) return [];
    const batch = [first];
    const bySeq = new Map([[first.seq, 0]]);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), this.waitMs)));
    try {
      while (batch.length < this.batchSize) {
        const msg = await this.take(expired);
        if (msg === undefined) break;
        const earlier = bySeq.get(msg.seq);
        if (earlier === undefined) bySeq.set(msg.seq, batch.push(msg) - 1);
        else batch[earlier] = msg;
      }
    } finally {
      clearTimeout(timer);
    }
    return batch;
  }

  /** Stops the pull; a batch being gathered ends with what it has. */
  stop(): void {
    this.messages.stop();
  }

  /**
   * Once stopped and no batch is being gathered: hands back (nak) what the
   * pull had delivered but no batch took, so that it is redelivered at once
   * instead of after the ack wait. Gives up after `waitMs`.
   */
  async handBack(waitMs = 1_000): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), waitMs)));
    let handedBack = 0;
    try {
      for (let msg = await this.take(expired); msg !== undefined; msg = await this.take(expired)) {
        msg.nak(HAND_BACK_DELAY_MS);
        handedBack++;
      }
    } finally {
      clearTimeout(timer);
    }
    return handedBack;
  }

  /** The next message, or undefined when the messages have ended or `expired` settles first (the read stays pending for the next batch). */
  private async take(expired: Promise<undefined> | undefined): Promise<JsMsg | undefined> {
    const pending = (this.pending ??= this.iterator.next());
    const result = expired === undefined ? await pending : await Promise.race([pending, expired]);
    if (result === undefined) return undefined;
    this.pending = undefined;
    return result.done === true ? undefined : result.value;
  }
}
