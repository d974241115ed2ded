/**
 * The one transport-independent ingest function: a source's request in, one
 * result per record out. Records a policy drops (a suppressed person, a
 * consent the source needs and does not have) are DROPPED before anything
 * else looks at them; records that break the contract are REJECTED with
 * their violations; the others become Envelopes on the stream, and are
 * answered ACCEPTED or DUPLICATE only after their PubAck, a consent
 * record's decision written to the policy ledger first. Before the answer
 * goes out, its counts (and a few rejected records as samples) are in the
 * accounting stream, and the records are shown to whoever tails them. gRPC,
 * gRPC-Web and the HTTP doors are thin adapters over it.
 */
import type { Logger } from 'pino';
import type { SourceLookup } from '../config/source-settings';
import { clockSkewMs, correctTimestamp, validateRecord, type ValidationLimits } from '../contract';
import { IngestError } from '../errors/ingest-error';
import { DropReason, RecordStatus, type FieldViolation, type IngestResponse, type RecordResult } from '../gen/tributary/ingest/v1/ingest_service';
import type { Record } from '../gen/tributary/ingest/v1/record';
import { EnvelopeEncoder } from '../publish/envelope';
import type { OutboundMessage, RecordPublisher } from '../publish/publisher';
import { messageId, subjectFor } from '../publish/subjects';
import type { AccountingPublisher } from '../publish/accounting-publisher';
import type { Peer } from '../stream/accounting-message';
import type { Metrics } from '../observability/metrics';
import { applyPlan } from '../plan/apply-plan';
import type { PolicyLedger } from '../policy/policy-ledger';
import { RequestGate, writeDecisions, type GateVerdict, type MadeDecision } from '../policy/request-gate';
import type { SourceRateLimits } from './rate-limits';
import type { FramedRecord } from './request-frame';
import { RequestTally, type SampleSlots } from './request-tally';
import type { TailHub } from './tail-hub';

/** What ingest() needs. */
export interface IngestDependencies {
  readonly publisher: RecordPublisher;
  readonly limits: ValidationLimits;
  readonly subjectPrefix: string;
  readonly maxRecordsPerRequest: number;
  /** The server's clock. */
  readonly now: () => Date;
  readonly metrics: Metrics;
  /** Each source's rate limit, when any source has one. */
  readonly rateLimits?: SourceRateLimits;
  /** The policy ledger whose suppressions and consent decisions drop records before the stream. */
  readonly ledger?: PolicyLedger;
  /** Each source's settings: its consent policy and its tracking plan. */
  readonly sources?: SourceLookup;
  /** Where a decision that reached the stream but not the ledger is reported (the identity stage writes it from the stream). */
  readonly logger?: Logger;
  /** Where each request's counts go before it is answered, and the places of its rejection samples; none when accounting is off. */
  readonly accounting?: { readonly publisher: AccountingPublisher; readonly slots: SampleSlots };
  /** Those who tail the answers. */
  readonly tail?: TailHub;
}

/** A decoded request from an authenticated source. */
export interface IngestCall {
  readonly sourceId: string;
  readonly records: readonly FramedRecord[];
  readonly sentAt: Date | undefined;
  /** Where the request came from, for rejection samples: asked only when one is kept. */
  readonly peer?: () => Peer;
}

/** Ingests one request; throws an IngestError when the call fails as a whole. */
export type Ingest = (call: IngestCall) => Promise<IngestResponse>;

function checkBatchSize(count: number, max: number): void {
  if (count === 0) {
    throw new IngestError('EMPTY_BATCH', 'the request has no record', { violations: [{ field: 'records', description: 'at least one record is required' }] });
  }
  if (count > max) {
    throw new IngestError('TOO_MANY_RECORDS', `the request has ${count} records; at most ${max} are allowed`, {
      violations: [{ field: 'records', description: `at most ${max} records per request; split the batch` }],
      metadata: { max_records: String(max), records: String(count) },
    });
  }
}

/** The drop reason of each verdict. */
const DROP_REASONS: { readonly [verdict in GateVerdict]: DropReason } = {
  suppressed: DropReason.SUPPRESSED,
  no_consent: DropReason.NO_CONSENT,
  consent_rejected: DropReason.CONSENT_REJECTED,
  consent_expired: DropReason.CONSENT_EXPIRED,
};

/** Builds the ingest function. */
export function createIngest(deps: IngestDependencies): Ingest {
  return async ({ sourceId, records, sentAt, peer }) => {
    checkBatchSize(records.length, deps.maxRecordsPerRequest);
    const { metrics } = deps;
    metrics.recordsReceived.inc({ source: sourceId }, records.length);
    const waitMs = deps.rateLimits?.take(sourceId, records.length) ?? 0;
    if (waitMs > 0) {
      metrics.recordsRateLimited.inc({ source: sourceId }, records.length);
      throw new IngestError('RATE_LIMITED', `source "${sourceId}" is over its rate limit; retry after ${waitMs} ms`, { retryAfterMs: waitMs, metadata: { source: sourceId } });
    }
    const receivedAt = deps.now();
    const skewMs = clockSkewMs(sentAt, receivedAt);
    const context = { limits: deps.limits, nowMs: receivedAt.getTime(), skewMs };
    const results = new Array<RecordResult>(records.length);
    const outbound: OutboundMessage[] = [];
    const slots: number[] = [];
    const envelopes = new EnvelopeEncoder({ sourceId, receivedAt, sentAt });
    const eventIds = records.map((framed) => ('record' in framed ? framed.record.eventId : framed.eventId));
    const { ledger } = deps;
    const settings = deps.sources?.(sourceId);
    const gate = ledger === undefined ? undefined : new RequestGate(ledger, sourceId, settings?.consent, receivedAt.getTime());
    const plan = settings?.plan;
    // Each consent record's decision, by its place among the published messages.
    const decisions = new Map<number, MadeDecision>();
    const { accounting } = deps;
    const tally = accounting === undefined ? undefined : new RequestTally(sourceId, receivedAt.getTime(), accounting.slots, peer);
    /** Answers record `i` REJECTED for `violations`; `record` is undefined when its bytes did not decode. */
    const reject = (i: number, record: Record | undefined, violations: readonly FieldViolation[]): void => {
      results[i] = { eventId: eventIds[i], status: RecordStatus.REJECTED, violations: [...violations], sequence: 0, dropReason: DropReason.UNSPECIFIED };
      metrics.recordsRejected.inc({ source: sourceId, reason: violations[0].reason });
      tally?.reject(eventIds[i], record, violations);
    };
    records.forEach((framed, i) => {
      // A record a policy drops is dropped before anything else looks at it: valid or not, nothing of it is kept.
      const verdict = gate !== undefined && 'record' in framed ? gate.verdict(framed.record) : undefined;
      if (verdict !== undefined) {
        results[i] = { eventId: eventIds[i], status: RecordStatus.DROPPED, violations: [], sequence: 0, dropReason: DROP_REASONS[verdict] };
        metrics.recordsDropped.inc({ source: sourceId, reason: verdict });
        tally?.count('dropped', 1, verdict);
        return;
      }
      const violations = 'record' in framed ? validateRecord(framed.record, framed.bytes.length, context) : [framed.violation];
      if (!('record' in framed) || violations.length > 0) return reject(i, 'record' in framed ? framed.record : undefined, violations);
      const { record } = framed;
      let { bytes } = framed;
      if (plan !== undefined) {
        const planned = applyPlan(plan.plan, plan.mode, record, bytes, framed.payload);
        if (planned !== undefined) {
          tally?.plan(record, planned.payload, plan.plan.version, planned.judged);
          for (const { action } of planned.judged) metrics.planViolations.inc({ source: sourceId, action });
          if (planned.blocked)
            return reject(
              i,
              record,
              planned.judged.map(({ violation }) => violation),
            );
          bytes = planned.bytes;
        }
      }
      const timestamp = correctTimestamp(record.timestamp, skewMs, receivedAt);
      const decision = gate?.decide(record, timestamp);
      if (decision !== undefined) decisions.set(outbound.length, decision);
      outbound.push({
        subject: subjectFor(deps.subjectPrefix, sourceId, record),
        msgId: messageId(sourceId, record.eventId),
        data: envelopes.encode(bytes, timestamp),
      });
      slots.push(i);
    });
    const published = metrics.publishSeconds.startTimer();
    const acks = await deps.publisher.publish(outbound);
    if (acks.length > 0) published();
    // Every gateway enforces a decision once it is in the ledger; one written here is there before its record is answered.
    // A duplicate's decision is the stream's first record's (a reused event id may carry another), so only new records' are written.
    const made = [...decisions].filter(([j]) => !acks[j].duplicate).map(([, decision]) => decision);
    if (ledger !== undefined && made.length > 0) {
      await writeDecisions(ledger, made).catch((error: unknown) =>
        deps.logger?.warn(
          { err: error instanceof Error ? error.message : String(error), source: sourceId },
          'consent decisions are in the stream but not yet in the policy ledger; the identity stage writes them from the stream',
        ),
      );
    }
    let duplicates = 0;
    acks.forEach((ack, j) => {
      const i = slots[j];
      if (ack.duplicate) duplicates++;
      const status = ack.duplicate ? RecordStatus.DUPLICATE : RecordStatus.ACCEPTED;
      results[i] = { eventId: eventIds[i], status, violations: [], sequence: ack.seq, dropReason: DropReason.UNSPECIFIED };
    });
    metrics.recordsAccepted.inc({ source: sourceId }, acks.length - duplicates);
    metrics.recordsDuplicate.inc({ source: sourceId }, duplicates);
    if (accounting !== undefined && tally !== undefined) {
      tally.count('accepted', acks.length - duplicates);
      tally.count('duplicate', duplicates);
      // The answer goes out only once its counts are durable: a gateway that dies after answering loses none of them.
      await accounting.publisher.add(tally.message(records.length));
      if (tally.unwrittenPlanViolations > 0) metrics.planViolationsUnwritten.inc({ source: sourceId }, tally.unwrittenPlanViolations);
    }
    if (deps.tail?.active === true) deps.tail.show(sourceId, receivedAt, records, results);
    return { results };
  };
}
