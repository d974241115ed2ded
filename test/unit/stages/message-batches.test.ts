/** MessageBatches: a continuous pull cut into batches by count and by the time since a batch's first message. */
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { MessageBatches } from '../../../src/stages/message-batches';

/** A queue of messages standing in for a pull: `push` delivers, `stop` ends it. */
function pull() {
  const queue: JsMsg[] = [];
  let wake: (() => void) | undefined;
  let stopped = false;
  const messages = {
    stop: () => {
      stopped = true;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (queue.length > 0) yield queue.shift() as JsMsg;
        if (stopped) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
  const deliveries = new Map<number, number>();
  const naked: number[] = [];
  const push = (...seqs: number[]) => {
    for (const seq of seqs) {
      deliveries.set(seq, (deliveries.get(seq) ?? 0) + 1);
      queue.push({ seq, info: { deliveryCount: deliveries.get(seq) }, nak: () => naked.push(seq) } as unknown as JsMsg);
    }
    wake?.();
  };
  return { messages: messages as unknown as ConsumerMessages, push, naked };
}

const seqs = (batch: JsMsg[]) => batch.map((m) => m.seq);

it('fills a batch up to its size, and leaves the rest for the next', async () => {
  const { messages, push } = pull();
  const batches = new MessageBatches(messages, 3, 60_000);
  push(1, 2, 3, 4);
  expect(seqs(await batches.next())).toEqual([1, 2, 3]);
  push(5, 6);
  expect(seqs(await batches.next())).toEqual([4, 5, 6]);
});

it('ends a batch that does not fill once the wait since its first message has passed', async () => {
  const { messages, push } = pull();
  const batches = new MessageBatches(messages, 100, 50);
  push(1, 2);
  expect(seqs(await batches.next())).toEqual([1, 2]);
  // The read left pending by the expired batch takes the next message.
  const next = batches.next();
  push(3);
  expect(seqs(await next)).toEqual([3]);
});

it('keeps a message delivered again within one batch once, as its latest delivery', async () => {
  const { messages, push } = pull();
  const batches = new MessageBatches(messages, 100, 50);
  push(1, 2, 1, 3);
  const batch = await batches.next();
  expect(seqs(batch)).toEqual([1, 2, 3]);
  expect(batch.map((m) => m.info.deliveryCount)).toEqual([2, 1, 1]);
});

it('gives what it has when stopped, then an empty batch', async () => {
  const { messages, push } = pull();
  const batches = new MessageBatches(messages, 100, 60_000);
  push(1);
  const gathering = batches.next();
  setTimeout(() => batches.stop(), 10);
  expect(seqs(await gathering)).toEqual([1]);
  expect(await batches.next()).toEqual([]);
});

it('hands back what was delivered beyond the last batch once stopped', async () => {
  const { messages, push, naked } = pull();
  const batches = new MessageBatches(messages, 2, 60_000);
  push(1, 2, 3, 4);
  expect(seqs(await batches.next())).toEqual([1, 2]);
  batches.stop();
  expect(await batches.handBack()).toBe(2);
  expect(naked).toEqual([3, 4]);
});
