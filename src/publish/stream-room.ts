/**
 * The stream's byte limit, kept by the gateway. JetStream's own `max_bytes`
 * is not used: nats-server before 2.10.5 (Debian ships 2.9.10) checks a new
 * message against it without the store's per-message overhead, stores it,
 * and then drops the stream's oldest, acknowledged, records to get back under
 * the limit (nats-io/nats-server#4771). So the stream has no byte limit, and
 * each gateway refuses new records with STREAM_FULL once the stream's bytes
 * (read every {@link CHECK_EVERY_MS}, plus what this gateway published since)
 * reach `TRIBUTARY_STREAM_MAX_BYTES`. The limit is soft: other gateways'
 * records of the last interval may pass it. Nothing is ever dropped for it.
 */
import { IngestError } from '../errors/ingest-error';

/** How often the stream's bytes are read. */
export const CHECK_EVERY_MS = 250;

/** The bytes a stream holds now, as JetStream reports them. */
export type ReadStreamBytes = () => Promise<number>;

/** Refuses records while the stream holds its limit's worth of bytes. */
export class StreamRoom {
  /** The stream's bytes at the last reading. */
  private base = 0;
  /** What this gateway had published when that reading was asked for. */
  private publishedAtBase = 0;
  /** Bytes this gateway has published, all told. */
  private published = 0;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private failing = false;

  /** `limit` is the most bytes the stream may hold (≤ 0: no limit, and nothing is read); `onReadFailure` hears the first failed reading after a good one. */
  constructor(
    private readonly limit: number,
    private readonly readBytes: ReadStreamBytes,
    private readonly onReadFailure: (error: unknown) => void = () => undefined,
  ) {}

  /** Reads the stream's bytes now, then every {@link CHECK_EVERY_MS}; a failed reading keeps the last one. */
  start(): void {
    if (this.limit <= 0 || this.timer !== undefined) return;
    void this.read();
    this.timer = setInterval(() => void this.read(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  /** Stops reading. */
  stop(): void {
    clearInterval(this.timer);
  }

  /** Whether there is a limit to keep (without one, nothing need be counted). */
  get limited(): boolean {
    return this.limit > 0;
  }

  /** The stream's bytes as this gateway reckons them: the last reading and what it published since. */
  get bytes(): number {
    return this.base + this.published - this.publishedAtBase;
  }

  /** A STREAM_FULL refusal when the stream is at its limit; otherwise counts `bytes` as published and returns undefined. */
  take(bytes: number): IngestError | undefined {
    if (this.limit <= 0) return undefined;
    if (this.bytes >= this.limit) {
      return new IngestError('STREAM_FULL', `the stream holds ${this.bytes} of its ${this.limit} bytes; retry once the sink has caught up`, {
        metadata: { max_stream_bytes: String(this.limit) },
      });
    }
    this.published += bytes;
    return undefined;
  }

  /** Reads the stream's bytes, one reading at a time. */
  read(): Promise<void> {
    this.reading ??= (async () => {
      const mark = this.published;
      try {
        this.base = await this.readBytes();
        this.publishedAtBase = mark;
        this.failing = false;
      } catch (error) {
        if (!this.failing) this.onReadFailure(error);
        this.failing = true;
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }
}
