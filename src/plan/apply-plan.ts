/**
 * What a source's plan does to one record that keeps to the contract: in
 * `report` mode it is stored as sent; in `omit` mode the properties that
 * break the plan (a wrong type, an enum, a format or a bound broken, or one
 * the plan does not allow) are removed first, but for a required property
 * (removing it would break the plan another way), and what no removal mends
 * (an unplanned event, a required property missing or wrong) is reported; in
 * `block` mode it is rejected. Each violation comes back with what was done
 * about it, for the plan_violations table.
 */
import { Record } from '../gen/tributary/ingest/v1/record';
import type { PayloadRange } from '../contract/wire/record-fields';
import { PlanReason, type Plan, type PlanAction, type PlanMode, type PlanViolation } from './plan';
import { plannedPayload, recordPlanCheck, type PlannedPayload } from './record-plan-check';

/** The most violations of one record that are answered and written (in the order recordPlanCheck gives); `omit` removes every offending property all the same. */
export const MAX_PLAN_VIOLATIONS = 20;

/** The reasons `omit` mends by removing the property. */
const OMITTABLE: ReadonlySet<string> = new Set([PlanReason.DATATYPE_MISMATCH, PlanReason.ENUM, PlanReason.FORMAT, PlanReason.RANGE, PlanReason.ADDITIONAL_PROPERTY]);

/** A plan's verdict on a record that breaks it. */
export interface PlanVerdict {
  /** Whether the record is rejected. */
  readonly blocked: boolean;
  /** The bytes to store: as sent, or without the omitted properties. */
  readonly bytes: Uint8Array;
  /** The payload judged: its call, and a track's event name. */
  readonly payload: PlannedPayload;
  /** Its violations (at most {@link MAX_PLAN_VIOLATIONS}), each with what was done about it. */
  readonly judged: readonly { readonly violation: PlanViolation; readonly action: PlanAction }[];
}

/** `bytes`, a record, without the top-level payload properties `keys`; as sent when they cannot be read again. */
function without(bytes: Uint8Array, keys: readonly string[]): Uint8Array {
  try {
    const record = Record.decode(bytes);
    const data = plannedPayload(record)?.data;
    if (data === undefined) return bytes;
    for (const key of keys) delete data[key];
    return Record.encode(record).finish();
  } catch {
    // The contract read these bytes already; should they not decode again, they are stored as sent, and the violations say REPORTED.
    return bytes;
  }
}

/**
 * The verdict of `plan`, in `mode`, on `record` (encoded as `bytes`, its
 * payload at `payload` when left undecoded there), or undefined when the
 * record keeps to the plan.
 */
export function applyPlan(plan: Plan, mode: PlanMode, record: Record, bytes: Uint8Array, payload: PayloadRange | undefined): PlanVerdict | undefined {
  const violations = recordPlanCheck(plan, record, bytes, payload);
  if (violations.length === 0) return undefined;
  const planned = plannedPayload(record);
  if (planned === undefined) return undefined;
  const keyOf = (violation: PlanViolation) => violation.field.slice(planned.field.length + 1);
  const required = new Set(planned.call === 'track' ? (plan.track.get(planned.name)?.required ?? []) : (plan[planned.call]?.required ?? []));
  const omits = (violation: PlanViolation) => mode === 'omit' && OMITTABLE.has(violation.reason) && !required.has(keyOf(violation));
  const omitted = violations.filter(omits).map(keyOf);
  const stored = omitted.length === 0 ? bytes : without(bytes, omitted);
  const actionOf = (violation: PlanViolation): PlanAction => (mode === 'block' ? 'BLOCKED' : omits(violation) && stored !== bytes ? 'OMITTED' : 'REPORTED');
  return {
    blocked: mode === 'block',
    bytes: stored,
    payload: planned,
    judged: violations.slice(0, MAX_PLAN_VIOLATIONS).map((violation) => ({ violation, action: actionOf(violation) })),
  };
}
