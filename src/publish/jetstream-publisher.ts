/**
 * The JetStream publisher: core NATS publishes with a reply subject per
 * message and one wildcard subscription collecting the PubAcks, which is
 * several times faster than js.publish() (docs/gateway.md, "The publish path") and
 * keeps its guarantees: a message counts only once its PubAck arrives, a
 * missing PubAck fails the batch after a timeout, the number of messages
 * waiting is bounded, and a full stream ({@link StreamRoom}) is refused.
 */
import { performance } from 'node:perf_hooks';
import { headers, type Msg, type Subscription } from '@nats-io/nats-core';
import { IngestError, type ErrorReason } from '../errors/ingest-error';
import type { NatsLink } from '../stream/connection';
import type { OutboundMessage, PublishAck, RecordPublisher } from './publisher';
import type { StreamRoom } from './stream-room';

/** The publisher's bounds. */
export interface PublisherOptions {
  /** Most messages waiting for their PubAck at once. */
  readonly maxInFlight: number;
  /** Most bytes of messages waiting for their PubAck at once; a batch alone is always let through, however large. */
  readonly maxInFlightBytes: number;
  /** How long to wait for a PubAck. */
  readonly timeoutMs: number;
}

/** The PubAck JSON that JetStream answers a publish with. */
interface PubAckReply {
  readonly seq?: number;
  readonly duplicate?: boolean;
  readonly error?: { readonly code: number; readonly err_code?: number; readonly description: string };
}

/** One published batch, settled once: all acks, or the first failure. */
class Batch {
  readonly acks: PublishAck[];
  readonly promise: Promise<PublishAck[]>;
  settled = false;
  private remaining: number;
  private resolve!: (acks: PublishAck[]) => void;
  private reject!: (error: IngestError) => void;

  constructor(size: number) {
    this.acks = new Array<PublishAck>(size);
    this.remaining = size;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  ack(index: number, ack: PublishAck): void {
    if (this.settled) return;
    this.acks[index] = ack;
    if (--this.remaining === 0) {
      this.settled = true;
      this.resolve(this.acks);
    }
  }

  fail(error: IngestError): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }
}

interface Waiter {
  readonly batch: Batch;
  readonly index: number;
  readonly deadline: number;
  readonly bytes: number;
}

/**
 * JetStream's error codes for a publish it has no room to store: the server's or account's JetStream resources
 * exhausted (10023 insufficient resources, 10047 storage resources exceeded), and the store refusing the message
 * (10077, which carries a stream's own limits: maximum bytes or messages, when an operator set them).
 */
const NO_ROOM = new Set([10023, 10047, 10077]);

const failure = (reason: ErrorReason, message: string, cause?: unknown): IngestError => new IngestError(reason, message, { cause });

/**
 * The bytes JetStream's file store counts for a message: its record's 22 bytes of header and 8 of checksum, the
 * subject, the NATS headers (`NATS/1.0\r\nNats-Msg-Id: <id>\r\n\r\n`) and the data.
 */
const storedSize = ({ subject, msgId, data }: OutboundMessage): number => 30 + subject.length + 29 + msgId.length + data.length;

/** The refusal of a batch beyond an in-flight bound, naming the bound. */
const overloaded = (message: string, metadata: { [key: string]: string }): IngestError => new IngestError('OVERLOADED', `${message}; retry later`, { metadata });

/** Publishes to JetStream with core publishes and collected PubAcks. */
export class JetStreamPublisher implements RecordPublisher {
  private readonly inbox: string;
  private readonly waiting = new Map<number, Waiter>();
  private waitingBytes = 0;
  private readonly subscription: Subscription;
  private readonly sweeper: NodeJS.Timeout;
  private next = 0;

  constructor(
    private readonly link: NatsLink,
    private readonly options: PublisherOptions,
    private readonly room?: StreamRoom,
  ) {
    this.inbox = `${link.createInbox()}.`;
    this.subscription = link.nc.subscribe(`${this.inbox}*`, {
      callback: (error, msg) => {
        if (error === null) this.onReply(msg);
      },
    });
    this.sweeper = setInterval(() => this.sweep(performance.now()), Math.max(10, options.timeoutMs / 4));
    this.sweeper.unref();
    link.on('down', () => this.failAll(failure('STREAM_UNAVAILABLE', 'the connection to NATS was lost; retry with the same event ids')));
  }

  /** Messages published and still waiting for their PubAck. */
  get inFlight(): number {
    return this.waiting.size;
  }

  /** Bytes of the messages waiting for their PubAck. */
  get inFlightBytes(): number {
    return this.waitingBytes;
  }

  publish(messages: readonly OutboundMessage[]): Promise<PublishAck[]> {
    if (messages.length === 0) return Promise.resolve([]);
    if (!this.link.connected) {
      return Promise.reject(failure('STREAM_UNAVAILABLE', 'NATS is not reachable; retry with the same event ids'));
    }
    if (this.waiting.size + messages.length > this.options.maxInFlight) {
      return Promise.reject(overloaded(`too many records are waiting for the stream (limit ${this.options.maxInFlight})`, { max_in_flight: String(this.options.maxInFlight) }));
    }
    let bytes = 0;
    for (const message of messages) bytes += message.data.length;
    if (this.waitingBytes > 0 && this.waitingBytes + bytes > this.options.maxInFlightBytes) {
      return Promise.reject(overloaded(`too many bytes are waiting for the stream (limit ${this.options.maxInFlightBytes})`, { max_in_flight_bytes: String(this.options.maxInFlightBytes) }));
    }
    if (this.room?.limited === true) {
      let stored = 0;
      for (const message of messages) stored += storedSize(message);
      const full = this.room.take(stored);
      if (full !== undefined) return Promise.reject(full);
    }
    const batch = new Batch(messages.length);
    const deadline = performance.now() + this.options.timeoutMs;
    try {
      for (let index = 0; index < messages.length; index++) {
        const { subject, msgId, data } = messages[index];
        const id = ++this.next;
        this.waiting.set(id, { batch, index, deadline, bytes: data.length });
        this.waitingBytes += data.length;
        const h = headers();
        h.set('Nats-Msg-Id', msgId);
        this.link.nc.publish(subject, data, { reply: this.inbox + id, headers: h });
      }
    } catch (error) {
      batch.fail(failure('STREAM_UNAVAILABLE', 'publishing to NATS failed; retry with the same event ids', error));
    }
    return batch.promise;
  }

  /** Stops collecting PubAcks; batches still waiting fail as UNAVAILABLE. */
  close(): void {
    clearInterval(this.sweeper);
    this.subscription.unsubscribe();
    this.failAll(failure('SHUTTING_DOWN', 'the gateway is shutting down; retry with the same event ids'));
  }

  private onReply(msg: Msg): void {
    const id = Number(msg.subject.slice(this.inbox.length));
    const waiter = this.take(id);
    if (waiter === undefined) return;
    const { batch, index } = waiter;
    if (msg.headers?.code === 503) {
      batch.fail(failure('STREAM_UNAVAILABLE', 'no JetStream stream answered; retry with the same event ids'));
      return;
    }
    const reply = msg.json<PubAckReply>();
    if (reply.error !== undefined) {
      const full = NO_ROOM.has(reply.error.err_code ?? 0);
      batch.fail(failure(full ? 'STREAM_FULL' : 'STREAM_UNAVAILABLE', `the stream refused the record: ${reply.error.description}`));
    } else {
      batch.ack(index, { seq: reply.seq ?? 0, duplicate: reply.duplicate === true });
    }
  }

  private sweep(now: number): void {
    for (const [id, waiter] of this.waiting) {
      if (waiter.deadline > now) return;
      this.take(id);
      waiter.batch.fail(failure('STREAM_UNAVAILABLE', `no PubAck within ${this.options.timeoutMs}ms; retry with the same event ids`));
    }
  }

  private failAll(error: IngestError): void {
    for (const waiter of this.waiting.values()) waiter.batch.fail(error);
    this.waiting.clear();
    this.waitingBytes = 0;
  }

  /** Removes the waiter of `id`, and its bytes from the count. */
  private take(id: number): Waiter | undefined {
    const waiter = this.waiting.get(id);
    if (waiter === undefined) return undefined;
    this.waiting.delete(id);
    this.waitingBytes -= waiter.bytes;
    return waiter;
  }
}
