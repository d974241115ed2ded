/**
 * Erasure in a stream: waiting until the consumers have handled everything
 * the stream held at a moment (an erasure's start, so a record accepted
 * before it, and not yet stored, is stored and then erased with the rest,
 * never stored after; a reconciliation's, so the counts it reads are all
 * written), waiting until replays have stored the batches they held at a
 * moment (an erasure's, once its keys are written: a replay checks each batch
 * against them), and erasing messages by sequence with JetStream's erase, which
 * overwrites the message's bytes in the store before removing it (a
 * person's messages; the rejection samples the sink has stored).
 */
import { JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';

/**
 * Whether an erase failed because the message is gone already (erased
 * before, or reclaimed): nats-server 2.9 answers "no message found" or,
 * for one it erased itself, "sequence <n> not found", both under the
 * delete's own error code; newer servers answer 10037.
 */
const alreadyGone = (error: unknown): boolean => error instanceof JetStreamApiError && (error.code === 10037 || /no message found|sequence \d+ not found/i.test(error.message));
/** Erase requests in flight at once (nats-server erases one at a time, about 0.4 to 1 ms each; more in flight hides the round trips). */
const CONCURRENT_ERASES = 64;
/** How often (in messages) the progress is told. */
const PROGRESS_EVERY = 5000;
/** How often the consumers are looked at while waiting. */
const POLL_MS = 250;

/**
 * Resolves once every consumer of `durables` on `stream` has acknowledged
 * every message up to `lastSeq` (or has nothing pending at all); `onWait`
 * hears what it still waits for.
 */
export async function waitForConsumers(jsm: JetStreamManager, stream: string, durables: readonly string[], lastSeq: number, onWait: (what: string) => void, signal: AbortSignal): Promise<void> {
  for (;;) {
    const behind: string[] = [];
    for (const durable of durables) {
      const info = await jsm.consumers.info(stream, durable).catch((error: unknown) => {
        if (error instanceof JetStreamApiError && error.status === 404) return undefined;
        throw error;
      });
      // A consumer that does not exist (yet) has stored nothing that could be missed.
      if (info === undefined) continue;
      const caughtUp = info.num_pending === 0 && info.num_ack_pending === 0;
      if (!caughtUp && info.ack_floor.stream_seq < lastSeq) behind.push(`${durable} at ${info.ack_floor.stream_seq}`);
    }
    if (behind.length === 0) return;
    onWait(`waiting for the stages to store the stream up to ${lastSeq} (${behind.join(', ')})`);
    if (signal.aborted) throw signal.reason;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Where each consumer of `stream` whose name starts with `prefix` has delivered up to (its last delivered stream sequence), by name. */
export async function deliveredUpTo(jsm: JetStreamManager, stream: string, prefix: string): Promise<Map<string, number>> {
  const delivered = new Map<string, number>();
  for await (const info of jsm.consumers.list(stream)) if (info.name.startsWith(prefix)) delivered.set(info.name, info.delivered.stream_seq);
  return delivered;
}

/**
 * Waits until each consumer of `stream` in `delivered` (deliveredUpTo) has
 * acked all it had delivered then, is gone, or is no longer `inUse` (a
 * replay no process runs: what it held comes again, and is checked again):
 * a replay that took a batch before an erasure wrote its keys has then
 * stored it, where the erasure finds its rows. `onWait` hears why it waits;
 * `signal` stops it.
 */
export async function waitForDelivered(
  jsm: JetStreamManager,
  stream: string,
  delivered: ReadonlyMap<string, number>,
  inUse: (name: string) => Promise<boolean>,
  onWait: (what: string) => void,
  signal: AbortSignal,
): Promise<void> {
  for (;;) {
    const behind: string[] = [];
    for (const [name, seq] of delivered) {
      if (!(await inUse(name))) continue;
      const info = await jsm.consumers.info(stream, name).catch((error: unknown) => {
        if (error instanceof JetStreamApiError && error.status === 404) return undefined;
        throw error;
      });
      if (info !== undefined && info.ack_floor.stream_seq < seq && info.num_ack_pending > 0) behind.push(`${name} at ${info.ack_floor.stream_seq} of ${seq}`);
    }
    if (behind.length === 0) return;
    onWait(`waiting for the replays to store the batches they hold (${behind.join(', ')})`);
    if (signal.aborted) throw signal.reason;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Erases the messages `seqs` of `stream`; returns how many it found to
 * erase. `onProgress` hears how far it got, every few thousand; `signal`
 * stops it between requests (erasing again later is harmless).
 */
export async function eraseMessages(jsm: JetStreamManager, stream: string, seqs: readonly number[], onProgress?: (done: number) => void, signal?: AbortSignal): Promise<number> {
  let erased = 0;
  for (let at = 0; at < seqs.length; at += CONCURRENT_ERASES) {
    signal?.throwIfAborted();
    if (at > 0 && at % PROGRESS_EVERY < CONCURRENT_ERASES) onProgress?.(at);
    const found = await Promise.all(
      seqs.slice(at, at + CONCURRENT_ERASES).map((seq) =>
        jsm.streams.deleteMessage(stream, seq, true).catch((error: unknown) => {
          if (alreadyGone(error)) return false;
          throw error;
        }),
      ),
    );
    erased += found.filter(Boolean).length;
  }
  return erased;
}
