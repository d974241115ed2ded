/**
 * Per-source settings, as the sources file (TRIBUTARY_SOURCES_FILE) declares
 * them: whether a source's identity links are trusted, the secret its
 * identifies are verified with, its rate limit, its consent policy and its
 * tracking plan. A
 * source the file does not name gets {@link DEFAULT_SOURCE_SETTINGS}. Pure
 * types and defaults; the file is read and watched by sources-file.ts.
 */

import type { Plan, PlanMode } from '../plan/plan';

/** A source's rate limit: a token bucket of records. */
export interface RateLimit {
  /** Records a second the bucket refills with. */
  readonly recordsPerSecond: number;
  /** Most records the bucket holds: a burst above the rate. */
  readonly burst: number;
}

/** A source's consent policy (docs/consent.md). */
export interface ConsentPolicy {
  /** `opt_in`: a record needs an accept in force for every category; `opt_out`: it is dropped only after a reject. */
  readonly mode: 'opt_in' | 'opt_out';
  /** The categories the source needs, each of them. */
  readonly categories: readonly string[];
}

/** A source's tracking plan (docs/tracking-plans.md): the plan file, what it holds, and what a record that breaks it meets. */
export interface SourcePlan {
  /** The plan file's path, absolute. */
  readonly file: string;
  /** `report` stores the record and writes its violations; `omit` removes the offending properties first; `block` rejects it. */
  readonly mode: PlanMode;
  /** The plan, compiled. */
  readonly plan: Plan;
}

/** What one source may do. */
export interface SourceSettings {
  /**
   * Whether the source is a trusted server: its links may merge two persons
   * already identified as different user ids. False for every source the
   * file does not mark trusted (a public browser key, say).
   */
  readonly trusted: boolean;
  /**
   * The secret of identity verification, or '' for none. When set, an
   * identify from the source links its profile to its user id only when it
   * carries `user_hash` = hex HMAC-SHA256 of the user id under this secret.
   */
  readonly identitySecret: string;
  /** The source's rate limit, or undefined for none. */
  readonly rateLimit: RateLimit | undefined;
  /** The source's consent policy, or undefined for none: its records are not gated by consent. */
  readonly consent: ConsentPolicy | undefined;
  /** The source's tracking plan, or undefined for none: its payloads answer to the contract alone. */
  readonly plan?: SourcePlan;
}

/** The settings of a source the sources file does not name. */
export const DEFAULT_SOURCE_SETTINGS: SourceSettings = Object.freeze({ trusted: false, identitySecret: '', rateLimit: undefined, consent: undefined });

/** The settings in force for a source, read at each call so a reloaded file takes effect at once. */
export type SourceLookup = (sourceId: string) => SourceSettings;

/** A lookup that gives every source the defaults: no file. */
export const noSourceSettings: SourceLookup = () => DEFAULT_SOURCE_SETTINGS;
