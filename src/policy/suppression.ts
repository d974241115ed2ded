/**
 * A suppression as the ledger keeps it for one hashed id: which sources it
 * covers, and how regulations change it. Pure functions, so every gateway
 * reads an entry the same way and the admin API changes it in one place.
 */

/** The sources a suppression covers: every source (but `except`), or only `sources`. */
export interface Suppression {
  /** Whether it covers every source. */
  readonly all: boolean;
  /** The sources it covers when not all. */
  readonly sources: readonly string[];
  /** The sources an all-sources suppression no longer covers (lifted for them). */
  readonly except: readonly string[];
  /** The regulation that last changed it. */
  readonly regulation: string;
}

/** Whether `entry` covers records of `source`. */
export function covers(entry: Suppression, source: string): boolean {
  return entry.all ? !entry.except.includes(source) : entry.sources.includes(source);
}

const union = (a: readonly string[], b: readonly string[]): string[] => [...new Set([...a, ...b])].sort();
const without = (a: readonly string[], b: readonly string[]): string[] => a.filter((s) => !b.includes(s));

/** `entry` (or none) after a suppression of `sources` (empty: every source) by `regulation`. */
export function suppress(entry: Suppression | undefined, sources: readonly string[], regulation: string): Suppression {
  if (sources.length === 0) return { all: true, sources: [], except: [], regulation };
  if (entry?.all === true) return { ...entry, except: without(entry.except, sources), regulation };
  return { all: false, sources: union(entry?.sources ?? [], sources), except: [], regulation };
}

/** `entry` after its suppression is lifted for `sources` (empty: every source); undefined when it covers nothing any more. */
export function unsuppress(entry: Suppression | undefined, sources: readonly string[], regulation: string): Suppression | undefined {
  if (entry === undefined || sources.length === 0) return undefined;
  if (entry.all) return { ...entry, except: union(entry.except, sources), regulation };
  const left = without(entry.sources, sources);
  return left.length === 0 ? undefined : { ...entry, sources: left, regulation };
}

/** Reads an entry the ledger holds; undefined for one that is not a suppression (written by a newer version, or damaged). */
export function parseSuppression(text: string): Suppression | undefined {
  try {
    const value = JSON.parse(text) as Partial<Suppression>;
    const strings = (list: unknown): list is string[] => Array.isArray(list) && list.every((s) => typeof s === 'string');
    if (typeof value.all !== 'boolean' || !strings(value.sources) || !strings(value.except) || typeof value.regulation !== 'string') return undefined;
    return { all: value.all, sources: value.sources, except: value.except, regulation: value.regulation };
  } catch {
    return undefined;
  }
}
