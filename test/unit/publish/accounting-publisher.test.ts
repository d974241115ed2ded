/**
 * Group commit of accounting messages: the first request's counts go out at
 * once; requests that come while it waits are merged into one next message
 * (counts of one key summed, samples kept), each request settling with the
 * PubAck of the message that holds its counts, failures included; samples
 * beyond a message's room left out, plan violations beyond it carried in
 * further messages.
 */
import { AccountingPublisher, MAX_SAMPLE_CHARS_PER_MESSAGE, MAX_VIOLATION_BYTES_PER_MESSAGE } from '../../../src/publish/accounting-publisher';
import { decodeAccounting, type AccountingMessage } from '../../../src/stream/accounting-message';
import type { OutboundMessage, PublishAck, RecordPublisher } from '../../../src/publish/publisher';

/** A publisher whose PubAcks the test gives, one batch at a time. */
class HeldPublisher implements RecordPublisher {
  readonly sent: OutboundMessage[] = [];
  private readonly waiting: { resolve: (acks: PublishAck[]) => void; reject: (error: Error) => void }[] = [];
  publish(messages: readonly OutboundMessage[]): Promise<PublishAck[]> {
    this.sent.push(...messages);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
  ack(): void {
    this.waiting.shift()?.resolve([{ seq: this.sent.length, duplicate: false }]);
  }
  fail(): void {
    this.waiting.shift()?.reject(new Error('no PubAck'));
  }
}

const counts = (n: number, reason = ''): AccountingMessage => ({ counts: [{ source: 'web', minute: 0, measure: 'rejected', reason, n }], samples: [] });
const settle = () => new Promise((resolve) => setImmediate(resolve));

it('merges the requests that come while a message waits into the next one', async () => {
  const held = new HeldPublisher();
  const publisher = new AccountingPublisher(held, 'acc');
  const settled: string[] = [];
  const track = (name: string, promise: Promise<void>) =>
    promise.then(
      () => settled.push(name),
      () => settled.push(`${name} failed`),
    );
  track('a', publisher.add(counts(1)));
  track('b', publisher.add(counts(2)));
  track('c', publisher.add(counts(3, 'X')));
  track('e', publisher.add(counts(4)));
  expect(held.sent).toHaveLength(1);
  held.ack();
  await settle();
  expect(settled).toEqual(['a']);
  expect(held.sent).toHaveLength(2);
  expect(decodeAccounting(held.sent[1].data).counts).toEqual([
    { source: 'web', minute: 0, measure: 'rejected', reason: '', n: 6 },
    { source: 'web', minute: 0, measure: 'rejected', reason: 'X', n: 3 },
  ]);
  expect(new Set(held.sent.map((m) => m.msgId)).size).toBe(2);
  held.fail();
  await settle();
  expect(settled).toEqual(['a', 'b failed', 'c failed', 'e failed']);
  // Idle again: the next request goes out at once.
  track('d', publisher.add(counts(1)));
  expect(held.sent).toHaveLength(3);
  held.ack();
  await settle();
  expect(settled).toEqual(['a', 'b failed', 'c failed', 'e failed', 'd']);
});

it('leaves out the samples beyond what one message may hold, and keeps their counts', async () => {
  const held = new HeldPublisher();
  const publisher = new AccountingPublisher(held, 'acc');
  const sample = (slot: number) => ({
    source: 'web',
    minute: 0,
    reason: 'TOO_LONG',
    slot,
    at: 0,
    eventId: `e${slot}`,
    peer: { transport: 'grpc', ip: '', userAgent: '' },
    record: 'x'.repeat(16 * 1024),
    violations: [],
  });
  const done = publisher.add({ counts: [{ source: 'web', minute: 0, measure: 'rejected', reason: 'TOO_LONG', n: 40 }], samples: Array.from({ length: 40 }, (_, i) => sample(i)) });
  held.ack();
  await done;
  const sent = decodeAccounting(held.sent[0].data);
  expect(sent.counts[0].n).toBe(40);
  expect(sent.samples.length).toBe(Math.floor(MAX_SAMPLE_CHARS_PER_MESSAGE / (16 * 1024 + 1024)));
  expect(held.sent[0].data.length).toBeLessThan(512 * 1024);
});

it('keeps every plan violation, putting those beyond one message into further messages of the same publish', async () => {
  const held = new HeldPublisher();
  const publisher = new AccountingPublisher(held, 'acc');
  const line = (i: number) => ({
    source: 'web',
    at: 0,
    eventId: `e${i}`,
    profileId: 'p1',
    userId: '',
    call: 'track',
    name: 'Order Completed',
    field: `event.track.data.p${i}`,
    reason: 'ADDITIONAL_PROPERTY',
    message: 'é'.repeat(350),
    planVersion: '1',
    action: 'REPORTED' as const,
  });
  const lines = Array.from({ length: 800 }, (_, i) => line(i));
  const done = publisher.add({ counts: [{ source: 'web', minute: 0, measure: 'accepted', reason: '', n: 800 }], samples: [], planViolations: lines });
  held.ack();
  await done;
  expect(held.sent.length).toBeGreaterThan(1);
  const messages = held.sent.map((m) => decodeAccounting(m.data));
  expect(messages.flatMap((m) => m.planViolations ?? [])).toEqual(lines);
  // The counts come last: a publish that fails part way and is retried stores none twice.
  expect(messages.map((m) => m.counts.length)).toEqual([...Array(messages.length - 1).fill(0), 1]);
  expect(Math.max(...held.sent.map((m) => m.data.length))).toBeLessThan(MAX_VIOLATION_BYTES_PER_MESSAGE + 64 * 1024);
});
