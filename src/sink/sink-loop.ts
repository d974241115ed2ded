/**
 * The sink's loop: fetch a batch from the durable consumer (bounded by count
 * and time), turn envelopes into rows, store them, resolve the identity links
 * of the stored events, and only then ack.
 * Transient failures are retried with backoff while the batch stays unacked
 * (its ack wait kept alive); rows ClickHouse refuses are redelivered up to a
 * bound and then become dead letters, terminated so the consumer moves on.
 */
import type { Consumer, JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { Envelope } from '../gen/tributary/ingest/v1/envelope';
import type { Metrics } from '../observability/metrics';
import type { ClickHouseWriter, PendingRow } from './clickhouse-writer';
import type { DeadLetter, DeadLetterReason, DeadLetters } from './dead-letters';
import type { IdentityResolver } from './identity/identity-resolver';
import { linksOf } from './identity/links';
import type { LinkDecision } from './identity/resolve';
import { toTableRow, type EventRow, type TableRow } from './rows';

/** The loop's bounds. */
export interface SinkLoopOptions {
  readonly batchSize: number;
  readonly batchWaitMs: number;
  /** Deliveries of a row ClickHouse refuses before it becomes a dead letter. */
  readonly maxDeliveries: number;
  /** Longest pause between retries. */
  readonly retryMaxMs: number;
}

/** What the loop has done so far. */
export interface SinkStats {
  batches: number;
  rowsWritten: number;
  retries: number;
  deadLetters: number;
  /** Milliseconds the last stored batch took, from fetch to ack. */
  lastBatchMs: number;
  /** Whether the sink is retrying a failing batch or fetch right now. */
  failing: boolean;
}

const FIRST_RETRY_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Consumes the stream into ClickHouse until stopped. */
export class SinkLoop {
  readonly stats: SinkStats = { batches: 0, rowsWritten: 0, retries: 0, deadLetters: 0, lastBatchMs: 0, failing: false };
  private stopping = false;
  private running: Promise<void> | undefined;
  private fetching: { stop(): void } | undefined;

  constructor(
    private readonly consumer: Consumer,
    private readonly writer: ClickHouseWriter,
    private readonly identity: IdentityResolver,
    private readonly deadLetters: DeadLetters,
    private readonly options: SinkLoopOptions,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Starts consuming. */
  start(): void {
    this.running = this.loop();
  }

  /** Finishes the batch in hand (or leaves it unacked if it is still failing) and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.fetching?.stop();
    await this.running;
  }

  private backoff(attempt: number): number {
    return Math.min(this.options.retryMaxMs, FIRST_RETRY_MS * 2 ** Math.min(attempt - 1, 20));
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        const batch = await this.fetch();
        if (batch.length > 0) await this.handle(batch);
        failures = 0;
        this.stats.failing = false;
      } catch (error) {
        if (this.stopping) break;
        failures++;
        this.stats.failing = true;
        this.logger.warn({ err: message(error), attempt: failures }, 'sink could not fetch or store a batch; retrying');
        await sleep(this.backoff(failures));
      }
    }
  }

  private async fetch(): Promise<JsMsg[]> {
    const messages = await this.consumer.fetch({ max_messages: this.options.batchSize, expires: this.options.batchWaitMs });
    this.fetching = messages;
    const batch: JsMsg[] = [];
    for await (const msg of messages) batch.push(msg);
    this.fetching = undefined;
    return batch;
  }

  /** Runs `work` until it succeeds, keeping the batch's ack wait alive; gives up only when stopping. */
  private async retrying<T>(batch: readonly JsMsg[], what: string, work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await work();
        this.stats.failing = false;
        return result;
      } catch (error) {
        if (this.stopping) throw error;
        this.stats.failing = true;
        this.stats.retries++;
        this.logger.warn({ err: message(error), attempt, messages: batch.length }, `${what} failed; the batch stays unacked and is retried`);
        for (const msg of batch) msg.working();
        await sleep(this.backoff(attempt));
      }
    }
  }

  /** Resolves the identity links of a batch's stored events; returns the refused ones. */
  private async resolveIdentities(batch: readonly JsMsg[], events: readonly EventRow[]): Promise<LinkDecision[]> {
    const links = linksOf(events);
    if (links.length === 0) return [];
    const started = performance.now();
    const decided = await this.retrying(batch, 'identity resolution', () => this.identity.resolve(links));
    this.metrics.identitySeconds.observe((performance.now() - started) / 1000);
    for (const d of decided.decisions) this.metrics.identityLinks.inc({ effect: d.effect });
    return decided.refused;
  }

  private async handle(batch: readonly JsMsg[]): Promise<void> {
    const started = Date.now();
    const bySeq = new Map(batch.map((msg) => [msg.seq, msg]));
    const rows: (TableRow & PendingRow)[] = [];
    const letters: DeadLetter[] = [];
    const letter = (msg: JsMsg, reason: DeadLetterReason, error: unknown, sourceId: string): DeadLetter => ({
      seq: msg.seq,
      subject: msg.subject,
      sourceId,
      reason,
      error: message(error),
      deliveries: msg.info.deliveryCount,
      payload: msg.data,
    });

    for (const msg of batch) {
      let envelope: Envelope;
      try {
        envelope = Envelope.decode(msg.data);
      } catch (error) {
        letters.push(letter(msg, 'UNDECODABLE_ENVELOPE', error, ''));
        continue;
      }
      try {
        rows.push({ seq: msg.seq, ...toTableRow(envelope, msg.seq) });
      } catch (error) {
        letters.push(letter(msg, 'INVALID_ENVELOPE', error, envelope.sourceId));
      }
    }

    const refused = await this.retrying(batch, 'insert', () => this.writer.write(rows));
    const redeliver = new Set<number>();
    for (const { pending, error } of refused) {
      const msg = bySeq.get(pending.seq);
      if (msg === undefined) continue;
      if (msg.info.deliveryCount < this.options.maxDeliveries) redeliver.add(msg.seq);
      else letters.push(letter(msg, 'REJECTED_BY_CLICKHOUSE', error, pending.row.source_id));
    }

    const notStored = new Set(refused.map((r) => r.pending));
    const refusedLinks = (await this.resolveIdentities(batch, rows.flatMap((r) => (r.table === 'events' && !notStored.has(r) ? [r.row as EventRow] : []))))
      // A refused link is set aside with its reason; its event is stored, so the message is acked.
      .map((d) => letter(bySeq.get(d.link.seq) as JsMsg, 'IDENTITY_LINK_REFUSED', d.reason, d.link.sourceId));
    await this.retrying(batch, 'dead-letter write', () => this.deadLetters.record([...letters, ...refusedLinks]));

    // A reason on +TERM needs nats-server 2.10; the dead letter holds the reason anyway.
    const dead = new Set(letters.map((l) => l.seq));
    for (const msg of batch) {
      if (dead.has(msg.seq)) msg.term();
      else if (redeliver.has(msg.seq)) msg.nak(this.backoff(msg.info.deliveryCount));
      else msg.ack();
    }
    if (letters.length > 0) this.logger.warn({ count: letters.length, reasons: [...new Set(letters.map((l) => l.reason))] }, 'messages set aside as dead letters');
    const written = rows.length - refused.length;
    this.stats.batches++;
    this.stats.rowsWritten += written;
    this.stats.deadLetters += letters.length + refusedLinks.length;
    this.stats.lastBatchMs = Date.now() - started;
    this.metrics.sinkBatchSize.observe(batch.length);
    this.metrics.sinkBatchSeconds.observe(this.stats.lastBatchMs / 1000);
    const perTable = new Map<string, number>();
    for (const row of rows) perTable.set(row.table, (perTable.get(row.table) ?? 0) + 1);
    for (const { pending } of refused) perTable.set(pending.table, (perTable.get(pending.table) ?? 0) - 1);
    for (const [table, n] of perTable) this.metrics.rowsWritten.inc({ table }, n);
    for (const l of [...letters, ...refusedLinks]) this.metrics.deadLetters.inc({ reason: l.reason });
  }
}
