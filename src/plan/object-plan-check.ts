/**
 * A payload's plan check over a payload decoded into objects: the record
 * that took the contract's object path, and the reference the wire check is
 * held to (test/unit/plan/plan-check-agreement.test.ts). The payload rule's
 * JSON Schema, compiled by Ajv, finds the violations, and each of Ajv's
 * errors becomes one, worded as the wire check words it (plan.ts).
 */
import type { ErrorObject } from 'ajv';
import { additionalProperty, keywordViolation, requiredMissing, type JsonType, type PayloadRule, type PlanViolation } from './plan';

/** The JSON type of a decoded Struct value. */
function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as JsonType;
}

/** The top-level property an Ajv error is about, from its instance path ("/total"). */
function propertyOf(error: ErrorObject): string {
  return error.instancePath.slice(1).replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The violation Ajv's `error` stands for, in the payload `present` at `field`. */
function violationOf(rule: PayloadRule, field: string, present: { readonly [key: string]: unknown }, error: ErrorObject): PlanViolation | undefined {
  if (error.keyword === 'required') return requiredMissing(`${field}.${(error.params as { missingProperty: string }).missingProperty}`);
  if (error.keyword === 'additionalProperties') return additionalProperty(`${field}.${(error.params as { additionalProperty: string }).additionalProperty}`);
  const name = propertyOf(error);
  const property = rule.properties.get(name);
  return property === undefined ? undefined : keywordViolation(error.keyword, property, `${field}.${name}`, jsonTypeOf(present[name]));
}

/**
 * Checks the decoded payload `data` (undefined when the record has none)
 * against `rule`, naming each property `${field}.${key}`. A property whose
 * value is undefined counts as absent, as the stored row has no such key
 * (the generated decoder drops a Value with no kind; an object built in code
 * may still hold one).
 */
export function objectPlanCheck(rule: PayloadRule, field: string, data: { readonly [key: string]: unknown } | undefined): PlanViolation[] {
  const present = Object.fromEntries(Object.entries(data ?? {}).filter(([, value]) => value !== undefined));
  const validate = rule.validator();
  if (validate(present)) return [];
  return (validate.errors ?? []).flatMap((error) => violationOf(rule, field, present, error) ?? []);
}
