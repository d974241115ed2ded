/**
 * The live tail of a gateway's answers: every record as it is answered, one
 * line each, to every watcher whose filters it passes (GET /admin/tail and
 * `tributary tail`). A watcher sees every line up to its rate and is told
 * how many it missed above it (or while it read too slowly), never nothing.
 * It holds nothing durable: a watcher is a callback, gone when it ends, and
 * while no one watches, ingest() does not call in (`active` is false).
 */
import { dropReasonToJSON, recordStatusToJSON, RecordStatus, type RecordResult } from '../gen/tributary/ingest/v1/ingest_service';
import type { FramedRecord } from './request-frame';

/** One answered record. */
export interface TailLine {
  /** When the gateway received it, RFC 3339. */
  readonly ts: string;
  readonly source: string;
  readonly event_id: string;
  /** track, identify, alias, group, consent, page or product; empty when the record did not decode. */
  readonly call: string;
  /** A track's name, or empty. */
  readonly name: string;
  /** accepted, duplicate, rejected or dropped. */
  readonly status: string;
  /** A rejection's first violation reason (REQUIRED, TOO_LONG …) or a drop's (suppressed, no_consent …); empty otherwise. */
  readonly reason: string;
  /** The stream sequence of an accepted or duplicate record, 0 otherwise. */
  readonly seq: number;
}

/** Which lines a watcher wants: each set field must equal the line's. */
export type TailFilter = { readonly [field in 'source' | 'call' | 'name' | 'status' | 'reason']?: string };

/** What a watcher receives: a line, or how many lines it missed since the last notice. */
export type TailEvent = { readonly line: TailLine } | { readonly skipped: number };

/** Whether `event` is a line. */
export const isLine = (event: TailEvent): event is { readonly line: TailLine } => 'line' in event;

/** The call and name of a framed record. */
function callAndName(framed: FramedRecord): { call: string; name: string } {
  if (!('record' in framed)) return { call: '', name: '' };
  const kind = framed.record.kind;
  if (kind?.$case === 'product') return { call: 'product', name: '' };
  const call = kind?.value.call;
  if (call === undefined) return { call: '', name: '' };
  return { call: call.$case, name: call.$case === 'track' ? call.value.name : '' };
}

/** The status of a result, as the tail names it. */
const statusOf = (result: RecordResult): string => recordStatusToJSON(result.status).replace('RECORD_STATUS_', '').toLowerCase();

/** The reason of a result, as the accounting names it. */
function reasonOf(result: RecordResult): string {
  if (result.status === RecordStatus.REJECTED) return result.violations[0]?.reason ?? '';
  if (result.status === RecordStatus.DROPPED) return dropReasonToJSON(result.dropReason).replace('DROP_REASON_', '').toLowerCase();
  return '';
}

/** Most watchers of one gateway at once: each costs a little on every answer. */
export const MAX_WATCHERS = 16;

/** A watch refused: {@link MAX_WATCHERS} already watch. */
export class TooManyWatchers extends Error {
  override readonly name = 'TooManyWatchers';
  constructor() {
    super(`${MAX_WATCHERS} already tail this gateway; end one first`);
  }
}

/** Bytes a watcher may leave unread before lines are counted as skipped rather than queued. */
export const MAX_UNREAD_BYTES = 1 << 20;

/** One watcher: its filter, its rate and what it has been told. */
class Watcher {
  private windowStart = 0;
  private shown = 0;
  private skipped = 0;

  constructor(
    private readonly filter: TailFilter,
    private readonly maxRate: number,
    private readonly send: (event: TailEvent) => void,
    private readonly unread: () => number,
    /** Ends the watch from the gateway's side (it stops). */
    readonly end: () => void,
  ) {}

  /** Sends `line` if it passes the filter and the rate, or counts it as skipped. */
  offer(line: TailLine, nowMs: number): void {
    const { filter } = this;
    for (const key in filter) if (filter[key as keyof TailFilter] !== line[key as keyof TailFilter]) return;
    if (nowMs - this.windowStart >= 1_000) {
      this.windowStart = nowMs;
      this.shown = 0;
    }
    if (this.shown >= this.maxRate || this.unread() > MAX_UNREAD_BYTES) {
      this.skipped++;
      return;
    }
    this.notice();
    this.shown++;
    this.send({ line });
  }

  /** Tells the watcher what it missed, if anything. */
  notice(): void {
    if (this.skipped === 0) return;
    const skipped = this.skipped;
    this.skipped = 0;
    this.send({ skipped });
  }
}

/** The watchers of one gateway's answers. */
export class TailHub {
  private readonly watchers = new Set<Watcher>();
  /** The once-a-second notice of skipped lines, running while anyone watches. */
  private ticker: NodeJS.Timeout | undefined;

  /** Whether anyone watches; ingest() shows nothing otherwise. */
  get active(): boolean {
    return this.watchers.size > 0;
  }

  /** How many watch. */
  get watching(): number {
    return this.watchers.size;
  }

  /**
   * Starts a watcher: `send` gets each line that passes `filter`, at most
   * `maxRate` a second, and at least once a second a count of those it
   * missed; `unread` says how many bytes it has not yet taken. Returns its stop.
   */
  watch(filter: TailFilter, maxRate: number, send: (event: TailEvent) => void, unread: () => number, end: () => void = () => undefined): () => void {
    if (this.watchers.size >= MAX_WATCHERS) throw new TooManyWatchers();
    const watcher = new Watcher(filter, maxRate, send, unread, end);
    this.watchers.add(watcher);
    this.ticker ??= setInterval(() => this.watchers.forEach((w) => w.notice()), 1_000).unref();
    return () => this.unwatch(watcher);
  }

  /** Ends every watch (the gateway stops): each watcher's `end` is called. */
  close(): void {
    for (const watcher of [...this.watchers]) {
      watcher.end();
      this.unwatch(watcher);
    }
  }

  /** Removes `watcher`, and stops the notices once no one watches. */
  private unwatch(watcher: Watcher): void {
    this.watchers.delete(watcher);
    if (this.watchers.size > 0) return;
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Shows one request's answered records to every watcher. */
  show(source: string, receivedAt: Date, records: readonly FramedRecord[], results: readonly RecordResult[]): void {
    const ts = receivedAt.toISOString();
    const nowMs = Date.now();
    results.forEach((result, i) => {
      const line: TailLine = { ts, source, event_id: result.eventId, ...callAndName(records[i]), status: statusOf(result), reason: reasonOf(result), seq: result.sequence };
      for (const watcher of this.watchers) watcher.offer(line, nowMs);
    });
  }
}
