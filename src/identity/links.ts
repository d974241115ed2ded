/**
 * Identity links from events: `identify` links a profile id to a user id,
 * `alias` links a user id to another user id. Nothing else links (a track
 * carrying a user id does not), and product records never reach here: they
 * are not events. Pure functions.
 */

/** What an event says about identity, named as its `events` columns (but `user_hash`, which no table stores). */
export interface LinkingEvent {
  readonly source_id: string;
  readonly event_id: string;
  readonly call: string;
  readonly profile_id: string;
  readonly user_id: string;
  readonly another_user_id: string;
  /** The producer's own timestamp, as stored (`YYYY-MM-DD hh:mm:ss.mmm`, UTC). */
  readonly original_timestamp: string;
  readonly stream_seq: number;
  /** An identify's user_hash, when it carries one. */
  readonly user_hash?: string;
}

/** A node of the identity graph: `profile:<id>` or `user:<id>`, so equal strings of the two kinds stay apart. */
export type IdentityNode = string;

const PROFILE = 'profile:';
const USER = 'user:';

/** The node of a profile id. */
export const profileNode = (profileId: string): IdentityNode => PROFILE + profileId;

/** The node of a user id. */
export const userNode = (userId: string): IdentityNode => USER + userId;

/** The profile id of a node, or undefined for a user node. */
export const profileIdOf = (node: IdentityNode): string | undefined => (node.startsWith(PROFILE) ? node.slice(PROFILE.length) : undefined);

/** The user id of a node, or undefined for a profile node. */
export const userIdOf = (node: IdentityNode): string | undefined => (node.startsWith(USER) ? node.slice(USER.length) : undefined);

/** The id a node names, without its kind: the policy ledger's ids (a user id and a profile id that are equal strings hash alike). */
export const idOfNode = (node: IdentityNode): string => profileIdOf(node) ?? userIdOf(node) ?? node;

/** The node an id given on the command line names: `user:x` and `profile:x` as written, a bare id as a profile. */
export const nodeOf = (id: string): IdentityNode => (id.startsWith(PROFILE) || id.startsWith(USER) ? id : profileNode(id));

/** One link, with the event that made it. */
export interface IdentityLink {
  readonly sourceId: string;
  readonly eventId: string;
  readonly call: 'identify' | 'alias';
  readonly left: IdentityNode;
  readonly right: IdentityNode;
  /** The producer's own timestamp of the event, as stored (`YYYY-MM-DD hh:mm:ss.mmm`, UTC): sorts as text. */
  readonly originalTimestamp: string;
  /** The stream sequence of the event: the order links arrived in, which masters follow. */
  readonly seq: number;
}

/** A link an event makes, not decided yet: an identify's user_hash rides along to be verified, and is never stored. */
export interface NewLink extends IdentityLink {
  readonly userHash?: string;
}

/** What identifies a link: its event. */
export const linkKey = (link: Pick<IdentityLink, 'sourceId' | 'eventId'>): string => `${link.sourceId}\u0000${link.eventId}`;

/** The link an event makes, if any. */
export function linkOf(row: LinkingEvent): NewLink | undefined {
  const base = { sourceId: row.source_id, eventId: row.event_id, originalTimestamp: row.original_timestamp, seq: row.stream_seq };
  if (row.call === 'identify' && row.user_id !== '') return { ...base, call: 'identify', left: profileNode(row.profile_id), right: userNode(row.user_id), userHash: row.user_hash };
  if (row.call === 'alias' && row.user_id !== '' && row.another_user_id !== '' && row.user_id !== row.another_user_id) {
    return { ...base, call: 'alias', left: userNode(row.user_id), right: userNode(row.another_user_id) };
  }
  return undefined;
}

/** Each link once (the first of those with one key), in the order given. */
export function distinctLinks<L extends IdentityLink>(links: Iterable<L>): L[] {
  const byKey = new Map<string, L>();
  for (const link of links) if (!byKey.has(linkKey(link))) byKey.set(linkKey(link), link);
  return [...byKey.values()];
}

/** The links of events, in stream order, each event once. */
export function linksOf(rows: readonly LinkingEvent[]): NewLink[] {
  const ordered = [...rows].sort((a, b) => a.stream_seq - b.stream_seq);
  return distinctLinks(ordered.map(linkOf).filter((link): link is NewLink => link !== undefined));
}
