/**
 * A tracking plan, compiled: which events a source may send, and for each
 * payload (track data by event name, page data, identify and group
 * attributes) the type and constraints of its top-level properties. It also
 * holds the reasons a plan judges by and the one wording of each violation,
 * which the wire check (wire-plan-check.ts) and the object check
 * (object-plan-check.ts) share, so the two give the same violations word for
 * word, in the same order (test/unit/plan/plan-check-agreement.test.ts).
 */
import type { ValidateFunction } from 'ajv';
import type { FieldViolation } from '../gen/tributary/ingest/v1/ingest_service';
import type { PROPERTY_TYPES } from './plan-file-schema';
import type { PropertyTable } from './property-table';

/** The codes a plan violation's reason takes. */
export const PlanReason = Object.freeze({
  /** A track event whose name the plan does not declare, where the plan allows none. */
  UNPLANNED_EVENT: 'UNPLANNED_EVENT',
  /** A property the plan requires is absent. */
  REQUIRED_MISSING: 'REQUIRED_MISSING',
  /** A property's value is not of its declared type. */
  DATATYPE_MISMATCH: 'DATATYPE_MISMATCH',
  /** A property the plan does not declare, where the payload allows no others. */
  ADDITIONAL_PROPERTY: 'ADDITIONAL_PROPERTY',
  /** A value that is not one of the property's enum. */
  ENUM: 'ENUM',
  /** A string that breaks its property's format or pattern. */
  FORMAT: 'FORMAT',
  /** A number or a string's length outside its property's bounds. */
  RANGE: 'RANGE',
});

/** One of the codes of {@link PlanReason}. */
export type PlanReasonCode = (typeof PlanReason)[keyof typeof PlanReason];

/** What a source does with a record that breaks its plan. */
export type PlanMode = 'report' | 'omit' | 'block';

/** What was done about one violation: the record stored as sent, the property removed before it was stored, or the record rejected. */
export type PlanAction = 'REPORTED' | 'OMITTED' | 'BLOCKED';

/** A declared property type. */
export type PropertyType = (typeof PROPERTY_TYPES)[number];

/** The JSON type of a value, as a violation names what came. */
export type JsonType = 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array';

/** The JSON types by code: the wire check holds a value's type as its index here, and compares numbers, not strings. */
export const JSON_TYPES: readonly JsonType[] = ['null', 'number', 'string', 'boolean', 'object', 'array'];

/** A string format: its name, and the test of ajv-formats' full definition. */
export interface StringFormat {
  readonly name: string;
  readonly test: (value: string) => boolean;
}

/** One declared property. */
export interface PropertyRule {
  readonly type: PropertyType;
  readonly enum?: readonly (string | number | boolean)[];
  readonly pattern?: RegExp;
  readonly format?: StringFormat;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
}

/** One declared payload: its properties, which of them are required, and whether others may come. */
export interface PayloadRule {
  readonly properties: ReadonlyMap<string, PropertyRule>;
  /** The same properties, for the wire check to find by the bytes of a key. */
  readonly declared: PropertyTable;
  readonly required: readonly string[];
  readonly additionalProperties: boolean;
  /**
   * The payload's JSON Schema compiled by Ajv, for the object check of
   * payloads decoded into objects: compiled at its first use, as few records
   * take that path and a large plan takes seconds and a hundred MB to compile.
   */
  readonly validator: () => ValidateFunction;
}

/** A compiled plan. */
export interface Plan {
  /** The version the plan file gives; each violation carries the version that judged it. */
  readonly version: string;
  readonly allowUnplannedEvents: boolean;
  readonly track: ReadonlyMap<string, PayloadRule>;
  readonly page?: PayloadRule;
  readonly identify?: PayloadRule;
  readonly group?: PayloadRule;
}

/** A plan violation: a FieldViolation whose reason is a {@link PlanReasonCode}. */
export type PlanViolation = FieldViolation & { readonly reason: PlanReasonCode };

/** The violation of a property that is required and absent, at `field`. */
export const requiredMissing = (field: string): PlanViolation => ({ field, reason: PlanReason.REQUIRED_MISSING, message: 'required by the plan, and missing' });

/** The violation of a property the plan does not declare, at `field`. */
export const additionalProperty = (field: string): PlanViolation => ({
  field,
  reason: PlanReason.ADDITIONAL_PROPERTY,
  message: 'not in the plan, which allows no other properties here',
});

/** The violation of a track event named `name` that `plan` does not declare. */
export const unplannedEvent = (name: string, plan: Plan): PlanViolation => ({
  field: 'event.track.name',
  reason: PlanReason.UNPLANNED_EVENT,
  message: `${JSON.stringify(name)} is not an event of plan version ${plan.version}`,
});

/** How each JSON Schema keyword a property may carry is judged and worded, given the property's rule and the JSON type of what came. */
const KEYWORDS = {
  type: { reason: PlanReason.DATATYPE_MISMATCH, message: (rule: PropertyRule, got: JsonType) => `expected ${rule.type}, got ${got}` },
  enum: { reason: PlanReason.ENUM, message: (rule: PropertyRule) => `expected one of ${(rule.enum ?? []).map((v) => JSON.stringify(v)).join(', ')}` },
  maxLength: { reason: PlanReason.RANGE, message: (rule: PropertyRule) => `expected at most ${rule.maxLength} characters` },
  minLength: { reason: PlanReason.RANGE, message: (rule: PropertyRule) => `expected at least ${rule.minLength} characters` },
  pattern: { reason: PlanReason.FORMAT, message: (rule: PropertyRule) => `expected to match ${rule.pattern?.source}` },
  format: { reason: PlanReason.FORMAT, message: (rule: PropertyRule) => `expected format ${rule.format?.name}` },
  maximum: { reason: PlanReason.RANGE, message: (rule: PropertyRule) => `expected at most ${rule.maximum}` },
  minimum: { reason: PlanReason.RANGE, message: (rule: PropertyRule) => `expected at least ${rule.minimum}` },
} as const;

/** A property keyword a plan judges by. */
export type PropertyKeyword = keyof typeof KEYWORDS;

/** The violation of `keyword` of the property `rule` at `field`, by a value of JSON type `got`. */
export function propertyViolation(keyword: PropertyKeyword, rule: PropertyRule, field: string, got: JsonType): PlanViolation {
  const judged = KEYWORDS[keyword];
  return { field, reason: judged.reason, message: judged.message(rule, got) };
}

/** The violation a JSON Schema `keyword` (as Ajv names it) stands for; undefined for a keyword a plan does not judge by. */
export const keywordViolation = (keyword: string, rule: PropertyRule, field: string, got: JsonType): PlanViolation | undefined =>
  Object.hasOwn(KEYWORDS, keyword) ? propertyViolation(keyword as PropertyKeyword, rule, field, got) : undefined;
