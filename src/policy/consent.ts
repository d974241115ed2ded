/**
 * Consent as the ledger keeps it and a source's policy reads it: for each id
 * and category the winning decision, where the later decision by its own
 * timestamp wins whatever order decisions arrive in (ties: a reject, then
 * the later valid_until, then the greater source), so merging is the same
 * in every process and in any order; and the verdict of a consent policy
 * on a person's decisions. Pure functions (docs/consent.md).
 */

import type { ConsentPolicy } from '../config/source-settings';

/** One decision on one category. */
export interface Decision {
  readonly category: string;
  readonly accept: boolean;
  /** The decision's own timestamp, epoch ms. */
  readonly decidedAt: number;
  /** When an accept stops counting, epoch ms. */
  readonly validUntil: number;
  /** Where the decision was collected (the consent call's source, such as "cookie-banner"). */
  readonly source: string;
}

/** An id's winning decisions, one per category. */
export type ConsentEntry = readonly Decision[];

/** The category of a decision that names none. */
export const GENERAL_CATEGORY = 'general';

/** Why a policy drops a record: the metrics' and the log's names of the drop reasons. */
export type ConsentVerdict = 'no_consent' | 'consent_rejected' | 'consent_expired';

/** Whether decision `a` wins over `b` (same category): the later, then a reject, then the later valid_until, then the greater source (UTF-8 bytes, as ClickHouse compares). */
export function wins(a: Decision, b: Decision): boolean {
  if (a.decidedAt !== b.decidedAt) return a.decidedAt > b.decidedAt;
  if (a.accept !== b.accept) return !a.accept;
  if (a.validUntil !== b.validUntil) return a.validUntil > b.validUntil;
  return Buffer.compare(Buffer.from(a.source), Buffer.from(b.source)) > 0;
}

/** `entry` with `decisions` merged in; `entry` itself when none of them wins. */
export function mergeEntry(entry: ConsentEntry | undefined, decisions: Iterable<Decision>): ConsentEntry {
  let merged: Decision[] | undefined;
  for (const decision of decisions) {
    const current = merged ?? entry ?? [];
    const at = current.findIndex((d) => d.category === decision.category);
    if (at >= 0 && !wins(decision, current[at])) continue;
    merged = current.filter((_, i) => i !== at).concat(decision);
  }
  return merged ?? entry ?? [];
}

/** The winning decision on `category` among `entries` (the entries of one person's ids). */
export function latest(entries: readonly (ConsentEntry | undefined)[], category: string): Decision | undefined {
  let found: Decision | undefined;
  for (const entry of entries) {
    if (entry === undefined) continue;
    for (const decision of entry) if (decision.category === category && (found === undefined || wins(decision, found))) found = decision;
  }
  return found;
}

/** Which verdict a record is answered with when several categories fail: a reject first, then an expiry. */
const PRECEDENCE: readonly ConsentVerdict[] = ['consent_rejected', 'consent_expired', 'no_consent'];

/** The later of two decisions (either may be missing). */
export const later = (a: Decision | undefined, b: Decision | undefined): Decision | undefined => (a === undefined || (b !== undefined && wins(b, a)) ? b : a);

/**
 * Why `policy` drops a record received at `nowMs` from a person whose
 * winning decision on each category `latestOn` gives, or undefined when it
 * keeps it. When several categories fail, a reject is named before an
 * expiry, and an expiry before no decision.
 */
export function verdictOf(policy: ConsentPolicy, latestOn: (category: string) => Decision | undefined, nowMs: number): ConsentVerdict | undefined {
  let found: ConsentVerdict | undefined;
  for (const category of policy.categories) {
    const decision = latestOn(category);
    let verdict: ConsentVerdict | undefined;
    if (decision === undefined) {
      if (policy.mode === 'opt_in') verdict = 'no_consent';
    } else if (!decision.accept) {
      return 'consent_rejected';
    } else if (nowMs >= decision.validUntil && policy.mode === 'opt_in') {
      // An accept past its valid_until counts as no decision: an opt-in source drops, an opt-out one keeps collecting.
      verdict = 'consent_expired';
    }
    if (verdict !== undefined && (found === undefined || PRECEDENCE.indexOf(verdict) < PRECEDENCE.indexOf(found))) found = verdict;
  }
  return found;
}

/** An entry as the ledger stores it: JSON, with the action spelled out. */
export function formatEntry(entry: ConsentEntry): string {
  return JSON.stringify(entry.map((d) => ({ category: d.category, action: d.accept ? 'accept' : 'reject', decidedAt: d.decidedAt, validUntil: d.validUntil, source: d.source })));
}

/** Reads a stored entry; undefined for one this version cannot read. */
export function parseEntry(text: string): ConsentEntry | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return undefined;
    const entry: Decision[] = [];
    for (const d of value as { [k: string]: unknown }[]) {
      const { category, action, decidedAt, validUntil, source } = d ?? {};
      if (typeof category !== 'string' || (action !== 'accept' && action !== 'reject') || typeof source !== 'string') return undefined;
      if (typeof decidedAt !== 'number' || typeof validUntil !== 'number') return undefined;
      entry.push({ category, accept: action === 'accept', decidedAt, validUntil, source });
    }
    return entry;
  } catch {
    return undefined;
  }
}
