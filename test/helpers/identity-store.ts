/**
 * Identity resolution's pure functions, run as the identity stage runs them
 * against ClickHouse: links made by test builders (each with the next stream
 * sequence), and a store that keeps every decision and master row.
 */
import { createHmac } from 'node:crypto';
import { DEFAULT_SOURCE_SETTINGS, noSourceSettings, type SourceLookup } from '../../src/config/source-settings';
import { profileNode, userNode, type IdentityLink, type NewLink } from '../../src/identity/links';
import { decide, mastersToWrite, type LinkDecision, type LinkRules, type ProfileMaster, type StoredLink } from '../../src/identity/resolve';

let seq = 0;

/** Where a link comes from, and what it carries. */
export interface LinkOptions {
  /** Default 'web'. */
  readonly sourceId?: string;
  /** The producer's timestamp; default 2026-11-<day>. */
  readonly originalTimestamp?: string;
  readonly userHash?: string;
}

const link = (call: 'identify' | 'alias', left: string, right: string, eventId: string, day: string, options: LinkOptions): NewLink => ({
  sourceId: options.sourceId ?? 'web',
  eventId,
  call,
  left,
  right,
  originalTimestamp: options.originalTimestamp ?? `2026-11-${day} 00:00:00.000`,
  seq: ++seq,
  userHash: options.userHash,
});

/** An identify's link, with the next stream sequence. */
export const identify = (profileId: string, userId: string, eventId: string, day: string, options: LinkOptions = {}): NewLink =>
  link('identify', profileNode(profileId), userNode(userId), eventId, day, options);

/** An alias's link, with the next stream sequence. */
export const alias = (userId: string, other: string, eventId: string, day: string, options: LinkOptions = {}): NewLink => link('alias', userNode(userId), userNode(other), eventId, day, options);

/** The lowercase hex HMAC-SHA256 of `userId` under `secret`, computed here apart from the code under test. */
export const hmac = (secret: string, userId: string): string => createHmac('sha256', secret).update(userId).digest('hex');

/** Source settings by id: `trusted` ones trusted, `secrets` with an identity secret, every other the defaults. */
export const sourcesOf =
  (trusted: readonly string[], secrets: { readonly [sourceId: string]: string } = {}): SourceLookup =>
  (sourceId) => ({
    ...DEFAULT_SOURCE_SETTINGS,
    trusted: trusted.includes(sourceId),
    identitySecret: secrets[sourceId] ?? '',
  });

/** The rules of the stage by default (a cap of 100, no source trusted or verifying), with `over` in their place. */
export const rules = (over: Partial<LinkRules> = {}): LinkRules => ({ maxGroupSize: 100, sources: noSourceSettings, ...over });

/** A store of decisions and master rows, fed batch after batch as the identity stage feeds ClickHouse (a row of a higher version wins). */
export class Store {
  readonly links: StoredLink[] = [];
  readonly rows: ProfileMaster[] = [];
  readonly masters = new Map<string, ProfileMaster>();

  /** Stores decisions, as the first insert of a resolution does (the user_hash is not stored). */
  storeLinks(decisions: readonly LinkDecision[]): void {
    for (const d of decisions) {
      const { sourceId, eventId, call, left, right, originalTimestamp, seq: at } = d.link;
      this.links.push({ sourceId, eventId, call, left, right, originalTimestamp, seq: at, effect: d.effect, reason: d.reason });
    }
  }

  /** The masters the groups of `incoming` get from the links stored now, stored as the second insert does. */
  storeMasters(incoming: readonly IdentityLink[]): ProfileMaster[] {
    const masters = mastersToWrite(
      this.links,
      incoming.flatMap((l) => [l.left, l.right]),
      this.masters,
    );
    for (const m of masters) {
      this.rows.push(m);
      const now = this.masters.get(m.profileId);
      if (now === undefined || m.version >= now.version) this.masters.set(m.profileId, m);
    }
    return masters;
  }

  /** One resolution, as IdentityResolver runs it (a redrive's, deciding refused links afresh, with `again`). */
  batch(incoming: readonly NewLink[], over: Partial<LinkRules> = {}, again = false) {
    const decided = decide(this.links, incoming, rules(over), again);
    this.storeLinks(decided.decisions);
    return { ...decided, masters: this.storeMasters(incoming) };
  }

  masterOf(profileId: string): string | undefined {
    return this.masters.get(profileId)?.masterId;
  }
}
