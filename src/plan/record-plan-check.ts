/**
 * One record's check against its source's plan: which payload a plan
 * declares the record carries (a track event's data by its name, page data,
 * identify or group attributes), and the check on the wire when its payload
 * was left undecoded, over objects when the contract decoded it. Alias and
 * consent calls, and product records, carry nothing a plan declares. The
 * violations come in one order whichever path found them: by field, then
 * reason, then message.
 */
import type { PayloadRange } from '../contract/wire/record-fields';
import type { Record } from '../gen/tributary/ingest/v1/record';
import { objectPlanCheck } from './object-plan-check';
import { unplannedEvent, type PayloadRule, type Plan, type PlanViolation } from './plan';
import { wirePlanCheck } from './wire-plan-check';

/** A payload a plan may declare, as a record carries it. */
export interface PlannedPayload {
  /** The call: track, page, identify or group. */
  readonly call: 'track' | 'page' | 'identify' | 'group';
  /** A track's event name; '' for the other calls. */
  readonly name: string;
  /** The payload's field path: event.track.data, event.identify.user_attributes… */
  readonly field: string;
  /** The payload decoded, when the record holds it decoded (or once it is decoded again); undefined otherwise. */
  readonly data: { [key: string]: unknown } | undefined;
}

/** The payload of `record` that a plan may declare, or undefined for a record that carries none. */
export function plannedPayload(record: Record): PlannedPayload | undefined {
  if (record.kind?.$case !== 'event') return undefined;
  const call = record.kind.value.call;
  switch (call?.$case) {
    case 'track':
      return { call: 'track', name: call.value.name, field: 'event.track.data', data: call.value.data };
    case 'page':
      return { call: 'page', name: '', field: 'event.page.data', data: call.value.data };
    case 'identify':
      return { call: 'identify', name: '', field: 'event.identify.user_attributes', data: call.value.userAttributes };
    case 'group':
      return { call: 'group', name: '', field: 'event.group.account_attributes', data: call.value.accountAttributes };
    default:
      return undefined;
  }
}

/** The rule of `plan` that judges `payload`; undefined when the plan declares none (and allows that). */
function ruleOf(plan: Plan, payload: PlannedPayload): PayloadRule | undefined {
  return payload.call === 'track' ? plan.track.get(payload.name) : plan[payload.call];
}

/** The order violations come in. */
const inOrder = (a: PlanViolation, b: PlanViolation): number =>
  a.field < b.field ? -1 : a.field > b.field ? 1 : a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : a.message < b.message ? -1 : a.message > b.message ? 1 : 0;

/**
 * The violations of `plan` by `record`, whose encoding is `bytes`: its
 * payload is read at `payload` when the contract left it undecoded there,
 * from the record otherwise. None for a record that keeps to the plan.
 */
export function recordPlanCheck(plan: Plan, record: Record, bytes: Uint8Array, payload: PayloadRange | undefined): readonly PlanViolation[] {
  const planned = plannedPayload(record);
  if (planned === undefined) return [];
  const rule = ruleOf(plan, planned);
  if (rule === undefined) return planned.call === 'track' && !plan.allowUnplannedEvents ? [unplannedEvent(planned.name, plan)] : [];
  const found = payload !== undefined ? wirePlanCheck(rule, planned.field, bytes, payload.start, payload.end) : objectPlanCheck(rule, planned.field, planned.data);
  return found.length > 1 ? [...found].sort(inOrder) : found;
}
