/**
 * Puts the gateways' counts on the accounting stream, durably, before the
 * answers they count go out. Publishes are group-committed: while one
 * message waits for its PubAck, the counts of the requests that come meanwhile
 * are merged into the next one, so a busy gateway adds one publish per
 * round trip to NATS, not one per request. A request's promise settles with
 * the PubAck of the message that holds its counts.
 */
import { randomUUID } from 'node:crypto';
import { encodeAccounting, type AccountingMessage, type CountLine, type RejectionSample } from '../stream/accounting-message';
import type { RecordPublisher } from './publisher';

interface Pending {
  readonly counts: Map<string, CountLine>;
  readonly samples: RejectionSample[];
  readonly waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

const emptyPending = (): Pending => ({ counts: new Map(), samples: [], waiters: [] });

/** Publishes accounting messages, merging those of concurrent requests. */
export class AccountingPublisher {
  private pending: Pending = emptyPending();
  private flushing = false;
  /** Each message's Nats-Msg-Id: this process's own prefix and a counter, so a retried publish is one message. */
  private readonly idPrefix = `accounting:${randomUUID()}`;
  private next = 0;

  constructor(
    private readonly publisher: RecordPublisher,
    private readonly subject: string,
  ) {}

  /** Resolves once `message`'s counts and samples are in the stream; rejects as the publisher does. */
  add(message: AccountingMessage): Promise<void> {
    const { counts, samples } = this.pending;
    for (const line of message.counts) {
      const key = `${line.source}\u0000${line.minute}\u0000${line.measure}\u0000${line.reason}`;
      const held = counts.get(key);
      counts.set(key, held === undefined ? line : { ...held, n: held.n + line.n });
    }
    samples.push(...message.samples);
    const settled = new Promise<void>((resolve, reject) => this.pending.waiters.push({ resolve, reject }));
    if (!this.flushing) void this.flush();
    return settled;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.pending.waiters.length > 0) {
      const { counts, samples, waiters } = this.pending;
      this.pending = emptyPending();
      const data = encodeAccounting({ counts: [...counts.values()], samples });
      try {
        await this.publisher.publish([{ subject: this.subject, msgId: `${this.idPrefix}:${++this.next}`, data }]);
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error);
      }
    }
    this.flushing = false;
  }
}
