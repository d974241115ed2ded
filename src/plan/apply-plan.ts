/**
 * What a source's plan does to one record that keeps to the contract: in
 * `report` mode it is stored as sent; in `omit` mode the properties that
 * break the plan (a wrong type, an enum, a format or a bound broken, or one
 * the plan does not allow) are removed first, and a violation no removal
 * mends (an unplanned event, a required property missing) is reported; in
 * `block` mode it is rejected. Each violation comes back with what was done
 * about it, for the plan_violations table.
 */
import { Record } from '../gen/tributary/ingest/v1/record';
import { payloadField } from '../contract/decode-record';
import type { PayloadRange } from '../contract/wire/record-fields';
import { PlanReason, type Plan, type PlanAction, type PlanMode, type PlanViolation } from './plan';
import { recordPlanCheck } from './record-plan-check';

/** The most violations of one record that are answered and written; `omit` removes every offending property all the same. */
export const MAX_PLAN_VIOLATIONS = 100;

/** The reasons `omit` mends by removing the property. */
const OMITTABLE: ReadonlySet<string> = new Set([PlanReason.DATATYPE_MISMATCH, PlanReason.ENUM, PlanReason.FORMAT, PlanReason.RANGE, PlanReason.ADDITIONAL_PROPERTY]);

/** A plan's verdict on a record that breaks it. */
export interface PlanVerdict {
  /** Whether the record is rejected. */
  readonly blocked: boolean;
  /** The bytes to store: as sent, or without the omitted properties. */
  readonly bytes: Uint8Array;
  /** Its violations (at most {@link MAX_PLAN_VIOLATIONS}), each with what was done about it. */
  readonly judged: readonly { readonly violation: PlanViolation; readonly action: PlanAction }[];
  /** The same violations alone, as a rejected record's result gives them. */
  readonly violations: readonly PlanViolation[];
}

/** The payload object of a decoded record that a plan judges. */
function payloadOf(record: Record): { [key: string]: unknown } | undefined {
  if (record.kind?.$case !== 'event') return undefined;
  const call = record.kind.value.call;
  switch (call?.$case) {
    case 'track':
    case 'page':
      return call.value.data;
    case 'identify':
      return call.value.userAttributes;
    case 'group':
      return call.value.accountAttributes;
    default:
      return undefined;
  }
}

/** `bytes`, a record, without the top-level payload properties `fields` name (full field paths, such as event.track.data.total). */
function without(bytes: Uint8Array, fields: readonly string[]): Uint8Array {
  const record = Record.decode(bytes);
  const data = payloadOf(record);
  const prefix = payloadField(record);
  if (data === undefined || prefix === undefined) return bytes;
  for (const field of fields) delete data[field.slice(prefix.length + 1)];
  return Record.encode(record).finish();
}

/**
 * The verdict of `plan`, in `mode`, on `record` (encoded as `bytes`, its
 * payload at `payload` when left undecoded there), or undefined when the
 * record keeps to the plan.
 */
export function applyPlan(plan: Plan, mode: PlanMode, record: Record, bytes: Uint8Array, payload: PayloadRange | undefined): PlanVerdict | undefined {
  const violations = recordPlanCheck(plan, record, bytes, payload);
  if (violations.length === 0) return undefined;
  const actionOf = (violation: PlanViolation): PlanAction => (mode === 'block' ? 'BLOCKED' : mode === 'omit' && OMITTABLE.has(violation.reason) ? 'OMITTED' : 'REPORTED');
  const omitted = violations.filter((violation) => actionOf(violation) === 'OMITTED').map((violation) => violation.field);
  const answered = violations.slice(0, MAX_PLAN_VIOLATIONS);
  return {
    blocked: mode === 'block',
    bytes: omitted.length > 0 ? without(bytes, omitted) : bytes,
    judged: answered.map((violation) => ({ violation, action: actionOf(violation) })),
    violations: answered,
  };
}
