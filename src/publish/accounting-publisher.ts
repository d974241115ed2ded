/**
 * Puts the gateways' counts on the accounting stream, durably, before the
 * answers they count go out. Publishes are group-committed: while one
 * message waits for its PubAck, the counts of the requests that come meanwhile
 * are merged into the next one, so a busy gateway adds one publish per
 * round trip to NATS, not one per request. A request's promise settles with
 * the PubAck of the message that holds its counts. A message holds at most
 * {@link MAX_SAMPLE_CHARS_PER_MESSAGE} of samples. Plan violations (at most
 * a thousand a request: request-tally.ts) are all kept: those beyond
 * {@link MAX_VIOLATION_BYTES_PER_MESSAGE} go in messages of their own,
 * published before the one with the counts in the same publish, so a publish
 * that fails part way stores no count twice when it is retried (violations
 * stored twice are one row).
 */
import { randomUUID } from 'node:crypto';
import { encodeAccounting, type AccountingMessage, type CountLine, type PlanViolationLine, type RejectionSample } from '../stream/accounting-message';
import type { RecordPublisher } from './publisher';

/**
 * Most characters of samples in one message: well under NATS's 1 MiB payload,
 * however many sources and reasons a busy moment brings. Samples beyond it are
 * left out (their records stay counted).
 */
export const MAX_SAMPLE_CHARS_PER_MESSAGE = 256 * 1024;

/** Most bytes of plan violations in one message; more go in messages of their own. */
export const MAX_VIOLATION_BYTES_PER_MESSAGE = 256 * 1024;

/** What the next message holds, and the requests waiting for it. */
interface Pending {
  readonly counts: Map<string, CountLine>;
  readonly samples: RejectionSample[];
  sampleChars: number;
  readonly planViolations: PlanViolationLine[];
  readonly waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

const emptyPending = (): Pending => ({ counts: new Map(), samples: [], sampleChars: 0, planViolations: [], waiters: [] });

/** `lines` cut into runs of at most MAX_VIOLATION_BYTES_PER_MESSAGE bytes of JSON each; one run, empty, when there are none. */
function violationRuns(lines: readonly PlanViolationLine[]): PlanViolationLine[][] {
  const runs: PlanViolationLine[][] = [[]];
  let bytes = 0;
  for (const line of lines) {
    const size = Buffer.byteLength(JSON.stringify(line)) + 1;
    if (bytes + size > MAX_VIOLATION_BYTES_PER_MESSAGE && runs[runs.length - 1].length > 0) {
      runs.push([]);
      bytes = 0;
    }
    runs[runs.length - 1].push(line);
    bytes += size;
  }
  return runs;
}

/** Characters a sample adds to a message: its record, and room for the rest. */
const sampleChars = (sample: RejectionSample): number => sample.record.length + sample.peer.userAgent.length + 1024;

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

  /** Resolves once `message`'s counts, samples and plan violations are in the stream; rejects as the publisher does. */
  add(message: AccountingMessage): Promise<void> {
    const pending = this.pending;
    const { counts, samples } = pending;
    if (message.planViolations !== undefined) pending.planViolations.push(...message.planViolations);
    for (const line of message.counts) {
      const key = `${line.source}\u0000${line.minute}\u0000${line.measure}\u0000${line.reason}`;
      const held = counts.get(key);
      counts.set(key, held === undefined ? line : { ...held, n: held.n + line.n });
    }
    for (const sample of message.samples) {
      const chars = sampleChars(sample);
      if (pending.sampleChars + chars > MAX_SAMPLE_CHARS_PER_MESSAGE) continue;
      pending.sampleChars += chars;
      samples.push(sample);
    }
    const settled = new Promise<void>((resolve, reject) => pending.waiters.push({ resolve, reject }));
    if (!this.flushing) void this.flush();
    return settled;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.pending.waiters.length > 0) {
      const { counts, samples, planViolations, waiters } = this.pending;
      this.pending = emptyPending();
      try {
        const runs = violationRuns(planViolations);
        const last = runs.pop() ?? [];
        const messages = [...runs.map((run) => ({ counts: [], samples: [], planViolations: run })), { counts: [...counts.values()], samples, planViolations: last }];
        await this.publisher.publish(messages.map((message) => ({ subject: this.subject, msgId: `${this.idPrefix}:${++this.next}`, data: encodeAccounting(message) })));
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error);
      }
    }
    this.flushing = false;
  }
}
