/**
 * The count of one request's answers, by outcome and reason, and the
 * rejected records it keeps as samples: at most `perKey` per source, reason
 * and minute in this process ({@link SampleSlots}), so a flood of invalid
 * records costs a count each and no more; and the tracking-plan violations
 * of its records, up to a bound. A dropped record is only counted.
 */
import type { FieldViolation } from '../gen/tributary/ingest/v1/ingest_service';
import { Record } from '../gen/tributary/ingest/v1/record';
import type { PlanAction } from '../plan/plan';
import type { PlannedPayload } from '../plan/record-plan-check';
import { MAX_SAMPLE_RECORD_CHARS, minuteOf, type AccountingMessage, type CountLine, type Measure, type Peer, type PlanViolationLine, type RejectionSample } from '../stream/accounting-message';

/** The most plan violations one request writes (plan_violations); more are counted, not written, so a request cannot flood the stream and the table. */
export const MAX_PLAN_LINES_PER_REQUEST = 1000;

/** The sample places taken in the current minute, per source and reason. */
export class SampleSlots {
  private minute = 0;
  private readonly taken = new Map<string, number>();

  /** `perKey`: samples per source, reason and minute (0 keeps none). */
  constructor(readonly perKey: number) {}

  /** The next free place of `source`'s samples for `reason` in `minute`, or undefined when they are all taken (or the minute is past). */
  take(source: string, reason: string, minute: number): number | undefined {
    if (minute > this.minute) {
      this.minute = minute;
      this.taken.clear();
    } else if (minute < this.minute) {
      return undefined;
    }
    const key = `${source}\u0000${reason}`;
    const slot = this.taken.get(key) ?? 0;
    if (slot >= this.perKey) return undefined;
    this.taken.set(key, slot + 1);
    return slot;
  }
}

/** Where no peer is known (a request made in process). */
const NO_PEER: Peer = { transport: '', ip: '', userAgent: '' };

/** The proto3 JSON text of `record`, or '' when it is too long to keep or does not convert (a timestamp beyond what a Date holds). */
function recordText(record: Record): string {
  try {
    const text = JSON.stringify(Record.toJSON(record));
    return text.length <= MAX_SAMPLE_RECORD_CHARS ? text : '';
  } catch {
    return '';
  }
}

/** One request's answers, counted. */
export class RequestTally {
  private readonly counts = new Map<string, number>();
  private readonly samples: RejectionSample[] = [];
  private readonly planViolations: PlanViolationLine[] = [];
  /** The plan violations of the request beyond what one request may write. */
  unwrittenPlanViolations = 0;
  private readonly minute: number;

  constructor(
    private readonly source: string,
    private readonly receivedAtMs: number,
    private readonly slots: SampleSlots,
    /** Where the request came from, asked only when a sample is kept. */
    private readonly peer: () => Peer = () => NO_PEER,
  ) {
    this.minute = minuteOf(receivedAtMs);
  }

  /** Counts `n` records with `measure` for `reason`. */
  count(measure: Measure, n: number, reason = ''): void {
    if (n === 0) return;
    const key = `${measure}\u0000${reason}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  /** Counts a rejected record, and keeps it as a sample while its reason has places left this minute; `record` is undefined when its bytes did not decode. */
  reject(eventId: string, record: Record | undefined, violations: readonly FieldViolation[]): void {
    const reason = violations[0]?.reason ?? '';
    this.count('rejected', 1, reason);
    const slot = this.slots.take(this.source, reason, this.minute);
    if (slot === undefined) return;
    const peer = this.peer();
    this.samples.push({
      source: this.source,
      minute: this.minute,
      reason,
      slot,
      at: this.receivedAtMs,
      eventId,
      peer: record === undefined ? { ...NO_PEER, transport: peer.transport } : peer,
      record: record === undefined ? '' : recordText(record),
      violations: violations.map(({ field, reason: why, message }) => ({ field, reason: why, message })),
    });
  }

  /**
   * Keeps the violations of the plan of version `planVersion` by `record`
   * (whose judged payload is `payload`), each with what was done about it,
   * up to {@link MAX_PLAN_LINES_PER_REQUEST} for the request; counts those
   * beyond in {@link RequestTally.unwrittenPlanViolations}.
   */
  plan(record: Record, payload: PlannedPayload, planVersion: string, judged: readonly { readonly violation: FieldViolation; readonly action: PlanAction }[]): void {
    const event = record.kind?.$case === 'event' ? record.kind.value : undefined;
    const person = { profileId: event?.profileId ?? '', userId: event?.userId ?? '' };
    for (const { violation, action } of judged) {
      if (this.planViolations.length >= MAX_PLAN_LINES_PER_REQUEST) {
        this.unwrittenPlanViolations++;
        continue;
      }
      const { field, reason, message } = violation;
      this.planViolations.push({ source: this.source, at: this.receivedAtMs, eventId: record.eventId, call: payload.call, name: payload.name, ...person, field, reason, message, planVersion, action });
    }
  }

  /** The accounting message of the request, `received` records in all. */
  message(received: number): AccountingMessage {
    this.count('received', received);
    const counts: CountLine[] = [];
    for (const [key, n] of this.counts) {
      const cut = key.indexOf('\u0000');
      counts.push({ source: this.source, minute: this.minute, measure: key.slice(0, cut) as Measure, reason: key.slice(cut + 1), n });
    }
    return { counts, samples: this.samples, planViolations: this.planViolations };
  }
}
