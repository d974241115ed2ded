/**
 * The breaking changes between two versions of a tracking plan, as
 * `tributary plan check OLD NEW` prints them (docs/tracking-plans.md): every
 * way a record that keeps to the old plan can break the new one. A property
 * that becomes required, a type or a bound that narrows, an enum that loses a
 * value, a pattern or format added or changed, properties or events no longer
 * allowed; and a payload planned where it was not, since anything was
 * allowed there. What only widens (a property dropped where others are
 * allowed, a bound relaxed, an event added while unplanned events are
 * blocked) is compatible.
 */
import type { PayloadRule, Plan, PropertyRule } from './plan';

/** Where a payload is, as a change names it: track["Order Completed"], identify. */
const trackPath = (name: string): string => `track[${JSON.stringify(name)}]`;

/** The bounds a property may have, each with the sign of a change that tightens it. */
const BOUNDS = [
  ['minimum', 1],
  ['minLength', 1],
  ['maximum', -1],
  ['maxLength', -1],
] as const;

/** The ways `after` narrows `before`, one property's rule. */
function propertyNarrowings(before: PropertyRule, after: PropertyRule): string[] {
  const out: string[] = [];
  if (before.type !== after.type && !(before.type === 'integer' && after.type === 'number')) out.push(`type changes from ${before.type} to ${after.type}`);
  if (after.enum !== undefined) {
    if (before.enum === undefined) out.push(`gains an enum (${after.enum.map((v) => JSON.stringify(v)).join(', ')})`);
    else for (const value of before.enum.filter((v) => !after.enum?.includes(v))) out.push(`enum loses ${JSON.stringify(value)}`);
  }
  if (after.pattern !== undefined && after.pattern.source !== before.pattern?.source) out.push(`pattern ${before.pattern === undefined ? 'added' : 'changed'}: ${after.pattern.source}`);
  if (after.format !== undefined && after.format.name !== before.format?.name) out.push(`format ${before.format === undefined ? 'added' : 'changed'}: ${after.format.name}`);
  for (const [key, sign] of BOUNDS) {
    const [b, a] = [before[key], after[key]];
    if (a !== undefined && (b === undefined || sign * (a - b) > 0)) out.push(`${key} ${b === undefined ? 'added' : 'tightened'}: ${a}`);
  }
  return out;
}

/** The ways `after` breaks records that keep to `before`, one payload at `where`. */
function payloadBreaks(where: string, before: PayloadRule, after: PayloadRule): string[] {
  const out: string[] = [];
  if (before.additionalProperties && !after.additionalProperties) out.push(`${where}: unplanned properties are no longer allowed`);
  for (const name of after.required.filter((n) => !before.required.includes(n))) out.push(`${where}.${name}: becomes required`);
  for (const [name, rule] of after.properties) {
    const old = before.properties.get(name);
    if (old === undefined) {
      if (before.additionalProperties) out.push(`${where}.${name}: planned where any value was allowed (${rule.type})`);
    } else {
      out.push(...propertyNarrowings(old, rule).map((change) => `${where}.${name}: ${change}`));
    }
  }
  if (!after.additionalProperties) {
    for (const name of before.properties.keys()) if (!after.properties.has(name)) out.push(`${where}.${name}: removed, and the payload allows no other properties`);
  }
  return out;
}

/** Whether a payload rule allows anything at all (no property declared, none required, others allowed). */
const allowsAll = (rule: PayloadRule): boolean => rule.properties.size === 0 && rule.required.length === 0 && rule.additionalProperties;

/** Every breaking change from `before` to `after`, each a line naming where it is; none when `after` is compatible. */
export function breakingChanges(before: Plan, after: Plan): string[] {
  const out: string[] = [];
  if (before.allowUnplannedEvents && !after.allowUnplannedEvents) out.push('unplanned events are no longer allowed');
  for (const [name, rule] of before.track) {
    const next = after.track.get(name);
    if (next !== undefined) out.push(...payloadBreaks(trackPath(name), rule, next));
    else if (!after.allowUnplannedEvents) out.push(`${trackPath(name)}: removed, and unplanned events are blocked`);
  }
  for (const [name, rule] of after.track) {
    if (!before.track.has(name) && before.allowUnplannedEvents && !allowsAll(rule)) out.push(`${trackPath(name)}: planned where it was unplanned and allowed`);
  }
  for (const call of ['page', 'identify', 'group'] as const) {
    const [b, a] = [before[call], after[call]];
    if (b !== undefined && a !== undefined) out.push(...payloadBreaks(call, b, a));
    else if (b === undefined && a !== undefined && !allowsAll(a)) out.push(`${call}: planned where it was not`);
  }
  return out;
}
