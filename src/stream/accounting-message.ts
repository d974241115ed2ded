/**
 * What a gateway tells the accounting stream (stream/accounting-stream.ts)
 * before it answers: per source, minute, outcome and reason, how many
 * records it answered so; and up to a few rejected records per source,
 * reason and minute as samples, each with its violations and where it came
 * from; and each violation of a source's tracking plan, with what was done
 * about it. JSON, since it is small and read by one reader (the sink). A
 * record a policy dropped (a suppressed person, a missing consent) is only
 * counted: nothing of it is kept.
 */
import type { PlanAction } from '../plan/plan';

/** The outcomes a gateway counts; `received` is every record it answered one by one. */
export type Measure = 'received' | 'accepted' | 'duplicate' | 'rejected' | 'dropped';

/** Every measure, in the order reports print them. */
export const MEASURES: readonly Measure[] = ['received', 'accepted', 'duplicate', 'rejected', 'dropped'];

/** The minute of `ms` (the minutes every count and sample is kept by), as epoch milliseconds. */
export const minuteOf = (ms: number): number => ms - (((ms % 60_000) + 60_000) % 60_000);

/** How many records of a source, in a minute, had one outcome for one reason (empty for accepted, duplicate and received). */
export interface CountLine {
  readonly source: string;
  /** The minute the gateway received them, as epoch milliseconds. */
  readonly minute: number;
  readonly measure: Measure;
  readonly reason: string;
  readonly n: number;
}

/** Where a record came from. */
export interface Peer {
  /** grpc, grpc-web, connect, intempt or segment. */
  readonly transport: string;
  readonly ip: string;
  readonly userAgent: string;
}

/** The longest record JSON a sample keeps; a longer one is kept without its record (its violations say why it was rejected). */
export const MAX_SAMPLE_RECORD_CHARS = 16 * 1024;

/** One rejected record, as a sample. */
export interface RejectionSample {
  readonly source: string;
  readonly minute: number;
  /** The first violation's reason. */
  readonly reason: string;
  /** Its place among the samples of its source, reason and minute: a second sample in a place replaces the first. */
  readonly slot: number;
  /** When the gateway received it, epoch milliseconds. */
  readonly at: number;
  readonly eventId: string;
  /** Where it came from; without the IP address and user agent when the record did not decode (it names no one erasure could find them by). */
  readonly peer: Peer;
  /** The record as proto3 JSON text; empty when its bytes did not decode, or its JSON is longer than {@link MAX_SAMPLE_RECORD_CHARS}. */
  readonly record: string;
  readonly violations: readonly { readonly field: string; readonly reason: string; readonly message: string }[];
}

/**
 * One violation of a source's tracking plan (docs/tracking-plans.md): a
 * field path, a reason, the plan's words. It holds no property's value, but
 * a sender's event name and property keys may name a person, so it carries
 * the record's profile and user ids, by which erasure finds it.
 */
export interface PlanViolationLine {
  readonly source: string;
  /** When the gateway received the record, epoch milliseconds. */
  readonly at: number;
  readonly eventId: string;
  readonly profileId: string;
  readonly userId: string;
  /** The call (track, page, identify, group) and, for a track, its event name. */
  readonly call: string;
  readonly name: string;
  readonly field: string;
  readonly reason: string;
  readonly message: string;
  /** The version of the plan that judged the record. */
  readonly planVersion: string;
  readonly action: PlanAction;
}

/** One accounting message. */
export interface AccountingMessage {
  readonly counts: readonly CountLine[];
  readonly samples: readonly RejectionSample[];
  /** Absent in messages of gateways older than tracking plans. */
  readonly planViolations?: readonly PlanViolationLine[];
}

/** The message's bytes. */
export const encodeAccounting = (message: AccountingMessage): Uint8Array => Buffer.from(JSON.stringify(message));

/** An accounting message that does not read as one. */
export class InvalidAccountingMessage extends Error {
  override readonly name = 'InvalidAccountingMessage';
}

const isObject = (value: unknown): value is { [key: string]: unknown } => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is CountLine =>
  isObject(value) &&
  typeof value.source === 'string' &&
  Number.isSafeInteger(value.minute) &&
  MEASURES.includes(value.measure as Measure) &&
  typeof value.reason === 'string' &&
  Number.isSafeInteger(value.n) &&
  (value.n as number) >= 0;
const isSample = (value: unknown): value is RejectionSample =>
  isObject(value) &&
  typeof value.source === 'string' &&
  Number.isSafeInteger(value.minute) &&
  typeof value.reason === 'string' &&
  Number.isSafeInteger(value.slot) &&
  Number.isSafeInteger(value.at) &&
  typeof value.eventId === 'string' &&
  typeof value.record === 'string' &&
  isObject(value.peer) &&
  Array.isArray(value.violations);

const isPlanViolation = (value: unknown): value is PlanViolationLine =>
  isObject(value) &&
  ['source', 'eventId', 'profileId', 'userId', 'call', 'name', 'field', 'reason', 'message', 'planVersion'].every((key) => typeof value[key] === 'string') &&
  Number.isSafeInteger(value.at) &&
  ['REPORTED', 'OMITTED', 'BLOCKED'].includes(value.action as string);

/** Reads a message's bytes; throws InvalidAccountingMessage when they are not one. */
export function decodeAccounting(bytes: Uint8Array): AccountingMessage {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new InvalidAccountingMessage('not JSON');
  }
  if (!isObject(value) || !Array.isArray(value.counts) || !Array.isArray(value.samples)) throw new InvalidAccountingMessage('not an accounting message');
  if (!value.counts.every(isCount)) throw new InvalidAccountingMessage('a count is not one');
  if (!value.samples.every(isSample)) throw new InvalidAccountingMessage('a sample is not one');
  const planViolations = value.planViolations ?? [];
  if (!Array.isArray(planViolations) || !planViolations.every(isPlanViolation)) throw new InvalidAccountingMessage('a plan violation is not one');
  return { counts: value.counts, samples: value.samples, planViolations };
}
