/**
 * One record's check against its source's plan: which payload rule judges it
 * (a track event's by its name, page data, identify or group attributes),
 * and the check on the wire when its payload was left undecoded, over
 * objects when the contract decoded it. Alias and consent calls, and product
 * records, carry nothing a plan declares.
 */
import type { PayloadRange } from '../contract/wire/record-fields';
import type { Record } from '../gen/tributary/ingest/v1/record';
import { objectPlanCheck } from './object-plan-check';
import { unplannedEvent, type PayloadRule, type Plan, type PlanViolation } from './plan';
import { wirePlanCheck } from './wire-plan-check';

/** The rule a record's payload answers to, its field path and its decoded value (when decoded); or a violation, or nothing to check. */
type Judged = { readonly rule: PayloadRule; readonly field: string; readonly data: { readonly [key: string]: unknown } | undefined } | PlanViolation | undefined;

/** What of `plan` judges `record`. */
function judgedBy(plan: Plan, record: Record): Judged {
  if (record.kind?.$case !== 'event') return undefined;
  const call = record.kind.value.call;
  switch (call?.$case) {
    case 'track': {
      const rule = plan.track.get(call.value.name);
      if (rule === undefined) return plan.allowUnplannedEvents ? undefined : unplannedEvent(call.value.name, plan);
      return { rule, field: 'event.track.data', data: call.value.data };
    }
    case 'page':
      return plan.page && { rule: plan.page, field: 'event.page.data', data: call.value.data };
    case 'identify':
      return plan.identify && { rule: plan.identify, field: 'event.identify.user_attributes', data: call.value.userAttributes };
    case 'group':
      return plan.group && { rule: plan.group, field: 'event.group.account_attributes', data: call.value.accountAttributes };
    default:
      return undefined;
  }
}

/**
 * The violations of `plan` by `record`, whose encoding is `bytes`: its
 * payload is read at `payload` when the contract left it undecoded there,
 * from the record otherwise. None for a record that keeps to the plan.
 */
export function recordPlanCheck(plan: Plan, record: Record, bytes: Uint8Array, payload: PayloadRange | undefined): PlanViolation[] {
  const judged = judgedBy(plan, record);
  if (judged === undefined) return [];
  if (!('rule' in judged)) return [judged];
  if (payload !== undefined) return wirePlanCheck(judged.rule, judged.field, bytes, payload.start, payload.end);
  return objectPlanCheck(judged.rule, judged.field, judged.data);
}
