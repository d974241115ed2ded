/**
 * A draft tracking plan from what a source sent (`tributary plan infer`,
 * docs/tracking-plans.md): each track event by name, and page, identify and
 * group payloads, with each top-level property seen, its type, and how often
 * it was present. A property present in every record of its payload is
 * required. Integers and other numbers seen for one property make it a
 * number; a property seen with two types that do not merge takes the more
 * frequent, and its description says what else came, for a person to decide.
 * Pure: the counts come from the stored rows (src/cli/plan.ts).
 */
import type { PropertyType } from './plan';

/** How many records of one payload (call, and track name) held one property with one JSON type (ClickHouse's JSONType). */
export interface PropertyCount {
  readonly call: string;
  readonly name: string;
  readonly key: string;
  readonly type: string;
  readonly n: number;
}

/** How many records one payload (call, and track name) had in all. */
export interface PayloadCount {
  readonly call: string;
  readonly name: string;
  readonly n: number;
}

/** A drafted plan file, as JSON. */
export interface DraftPlan {
  readonly version: string;
  readonly description: string;
  readonly allowUnplannedEvents: boolean;
  readonly allowUnplannedProperties: boolean;
  readonly track?: { [name: string]: DraftPayload };
  readonly page?: DraftPayload;
  readonly identify?: DraftPayload;
  readonly group?: DraftPayload;
}
interface DraftPayload {
  properties: { [key: string]: { type: PropertyType; description: string } };
  required: string[];
}

/** The plan type of a ClickHouse JSONType, or undefined for null (which says nothing of a type). */
const TYPES: { readonly [jsonType: string]: PropertyType } = {
  Int64: 'integer',
  UInt64: 'integer',
  Double: 'number',
  String: 'string',
  Bool: 'boolean',
  Array: 'array',
  Object: 'object',
};

/** One property's type from its counts by type: integers and numbers merge into number; otherwise the most frequent, with the others named. */
function typeOf(byType: ReadonlyMap<PropertyType, number>): { type: PropertyType; others: string } {
  const merged = new Map(byType);
  if (merged.has('integer') && merged.has('number')) {
    merged.set('number', (merged.get('number') ?? 0) + (merged.get('integer') ?? 0));
    merged.delete('integer');
  }
  const ranked = [...merged].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const others = ranked.slice(1).map(([type, n]) => `${type} (${n})`);
  return { type: ranked[0][0], others: others.length === 0 ? '' : `; also seen as ${others.join(', ')}: decide which is meant` };
}

/** The payload drafted from its properties' counts, of `total` records. */
function draftPayload(counts: readonly PropertyCount[], total: number): DraftPayload {
  const byKey = new Map<string, Map<PropertyType, number>>();
  const present = new Map<string, number>();
  for (const { key, type, n } of counts) {
    present.set(key, (present.get(key) ?? 0) + n);
    const planType = TYPES[type];
    if (planType === undefined) continue;
    const types = byKey.get(key) ?? new Map<PropertyType, number>();
    types.set(planType, (types.get(planType) ?? 0) + n);
    byKey.set(key, types);
  }
  const properties: DraftPayload['properties'] = {};
  for (const key of [...byKey.keys()].sort()) {
    const { type, others } = typeOf(byKey.get(key) as Map<PropertyType, number>);
    const share = Math.round((100 * (present.get(key) ?? 0)) / total);
    properties[key] = { type, description: `present in ${share}% of ${total} records${others}` };
  }
  return { properties, required: Object.keys(properties).filter((key) => (present.get(key) ?? 0) >= total) };
}

/** A plan drafted from `properties` and `payloads` counted over the source `source` since `since` (ISO time), versioned `version`. */
export function inferPlan(source: string, since: string, version: string, properties: readonly PropertyCount[], payloads: readonly PayloadCount[]): DraftPlan {
  const draft = (call: string, name: string): DraftPayload | undefined => {
    const total = payloads.find((p) => p.call === call && p.name === name)?.n ?? 0;
    return total === 0
      ? undefined
      : draftPayload(
          properties.filter((p) => p.call === call && p.name === name),
          total,
        );
  };
  const names = [...new Set(payloads.filter((p) => p.call === 'track').map((p) => p.name))].sort();
  const track = Object.fromEntries(names.map((name) => [name, draft('track', name) as DraftPayload]));
  const [page, identify, group] = (['page', 'identify', 'group'] as const).map((call) => draft(call, ''));
  return {
    version,
    description: `Drafted by tributary plan infer from source ${source} since ${since}: review each type and requirement before using it.`,
    allowUnplannedEvents: false,
    allowUnplannedProperties: false,
    ...(names.length > 0 ? { track } : {}),
    ...(page === undefined ? {} : { page }),
    ...(identify === undefined ? {} : { identify }),
    ...(group === undefined ? {} : { group }),
  };
}
