/**
 * Identity resolution, as pure functions of the links: deciding a batch's new
 * links (in stream order) against the stored links around their ids, and the
 * masters of the groups they touch once the decisions are stored.
 * Ids joined by applied links form a group; the group's master id is its
 * first-arrived profile: the profile whose first applied link has the lowest
 * stream sequence, ties broken by id. A producer's clock has no say, so no
 * backdated event can take a group over. That depends only on which links
 * are applied, never on the order they are resolved in, so replays and sink
 * replicas agree. A new link is refused when its source verifies identities
 * and the identify's user_hash does not verify, when it would merge two
 * persons each already identified (unless its source is trusted), or when
 * it would make a group larger than the cap. See docs/identity.md.
 */
import type { SourceLookup } from '../config/source-settings';
import { linkKey, profileIdOf, userIdOf, type IdentityLink, type IdentityNode, type NewLink } from './links';
import { verifies } from './verification';

/** What a link did. */
export type LinkEffect = 'linked' | 'merged' | 'redundant' | 'refused';

/** A link as stored, with what it did. */
export interface StoredLink extends IdentityLink {
  readonly effect: LinkEffect;
  /** Why it was refused; empty otherwise. */
  readonly reason: string;
}

/** A new link's decision, with the group it left behind. */
export interface LinkDecision {
  readonly link: IdentityLink;
  readonly effect: LinkEffect;
  /** Why a link was refused; empty otherwise. */
  readonly reason: string;
  /** The group's master id after the link; empty while the group holds no profile. */
  readonly masterId: string;
  readonly groupSize: number;
}

/** A profile's master, as profile_masters holds it. */
export interface ProfileMaster {
  readonly profileId: string;
  readonly masterId: string;
  /** The number of applied links in the group: it only grows, so the newest view of a group wins. */
  readonly version: number;
  readonly groupSize: number;
  /** The event of the group's newest link (by stream sequence). */
  readonly lastLinkEventId: string;
}

/** What profile_masters holds of a profile now. */
export type StoredMaster = Pick<ProfileMaster, 'masterId' | 'version'>;

/** What deciding a batch's links gave. */
export interface Decisions {
  /** Decisions for the links not decided before. */
  readonly decisions: LinkDecision[];
  /** The batch's links that are refused, whether now or by an earlier delivery. */
  readonly refused: LinkDecision[];
}

/** What decides a new link besides the graph: the group-size cap, and what each source may do. */
export interface LinkRules {
  /** The most ids (profiles and user ids) a group may hold. */
  readonly maxGroupSize: number;
  /** Each source's settings: whether it is trusted, and its identity secret. */
  readonly sources: SourceLookup;
}

/** A candidate for master: the stream sequence of the profile's first applied link, then its id. */
type Rank = readonly [seq: number, profileId: string];

const earlier = (a: Rank | undefined, b: Rank | undefined): Rank | undefined => {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a[0] !== b[0]) return a[0] < b[0] ? a : b;
  return a[1] <= b[1] ? a : b;
};

/** The smaller of two ids, either possibly missing. */
const least = (a: IdentityNode | undefined, b: IdentityNode | undefined): IdentityNode | undefined => (a === undefined ? b : b === undefined || a <= b ? a : b);

/** What deciding a link needs to know of a group: its size, and which kinds of ids it holds. */
interface Shape {
  size: number;
  profiles: number;
  users: number;
  /** Its smallest user id, to name the group by. */
  user: IdentityNode | undefined;
}

interface Group extends Shape {
  links: number;
  best: Rank | undefined;
  last: IdentityLink | undefined;
}

/** The shape of the group a lone id makes. */
const loneShape = (node: IdentityNode): Shape => {
  const user = userIdOf(node) === undefined ? undefined : node;
  return { size: 1, profiles: user === undefined ? 1 : 0, users: user === undefined ? 0 : 1, user };
};

/** Whether a group is a person already identified: at least one profile known under at least one user id. */
const identified = (shape: Shape): boolean => shape.profiles > 0 && shape.users > 0;

/** Groups of ids under union by size, each with its shape, link count, master candidate and newest link. */
class Groups {
  private readonly parent = new Map<IdentityNode, IdentityNode>();
  private readonly groups = new Map<IdentityNode, Group>();
  private readonly firstLinked = new Map<string, Rank>();

  has(node: IdentityNode): boolean {
    return this.parent.has(node);
  }

  root(node: IdentityNode): IdentityNode {
    let root = node;
    for (let up = this.parent.get(root); up !== undefined && up !== root; up = this.parent.get(root)) root = up;
    for (let at = node; at !== root;) {
      const up = this.parent.get(at) as IdentityNode;
      this.parent.set(at, root);
      at = up;
    }
    return root;
  }

  /** The group of an id some applied link names. */
  group(node: IdentityNode): Group {
    return this.groups.get(this.root(node)) as Group;
  }

  /** The shape of the group `node` is in; a lone id's for an id no applied link names. */
  shapeOf(node: IdentityNode): Shape {
    return this.has(node) ? this.group(node) : loneShape(node);
  }

  /** Whether two ids are in one group already. */
  together(a: IdentityNode, b: IdentityNode): boolean {
    return this.has(a) && this.has(b) && this.root(a) === this.root(b);
  }

  private add(node: IdentityNode): void {
    if (this.has(node)) return;
    this.parent.set(node, node);
    this.groups.set(node, { ...loneShape(node), links: 0, best: undefined, last: undefined });
  }

  /** Applies a link: joins its two ids' groups and counts it. */
  apply(link: IdentityLink): void {
    this.add(link.left);
    this.add(link.right);
    let [a, b] = [this.root(link.left), this.root(link.right)];
    if (a !== b) {
      if ((this.groups.get(a) as Group).size < (this.groups.get(b) as Group).size) [a, b] = [b, a];
      const [into, from] = [this.groups.get(a) as Group, this.groups.get(b) as Group];
      this.parent.set(b, a);
      this.groups.delete(b);
      into.size += from.size;
      into.profiles += from.profiles;
      into.users += from.users;
      into.user = least(into.user, from.user);
      into.links += from.links;
      into.best = earlier(into.best, from.best);
      if (from.last !== undefined && (into.last === undefined || from.last.seq > into.last.seq)) into.last = from.last;
    }
    const group = this.groups.get(a) as Group;
    group.links++;
    if (group.last === undefined || link.seq > group.last.seq) group.last = link;
    for (const node of [link.left, link.right]) {
      const profileId = profileIdOf(node);
      if (profileId === undefined) continue;
      const rank = earlier(this.firstLinked.get(profileId), [link.seq, profileId]) as Rank;
      this.firstLinked.set(profileId, rank);
      group.best = earlier(group.best, rank);
    }
  }

  /** Every id, by the root of its group. */
  members(): Map<IdentityNode, IdentityNode[]> {
    const byRoot = new Map<IdentityNode, IdentityNode[]>();
    for (const node of this.parent.keys()) {
      const root = this.root(node);
      const list = byRoot.get(root);
      if (list === undefined) byRoot.set(root, [node]);
      else list.push(node);
    }
    return byRoot;
  }
}

const masterOf = (group: Group): string => group.best?.[1] ?? '';

/** The group `node` is in, given its stored links: its ids, its master id and its version (applied links). */
export function groupOf(stored: readonly StoredLink[], node: IdentityNode): { members: IdentityNode[]; masterId: string; version: number } {
  const { groups } = groupsOf(stored);
  if (!groups.has(node)) return { members: [node], masterId: profileIdOf(node) ?? '', version: 0 };
  const group = groups.group(node);
  return { members: (groups.members().get(groups.root(node)) ?? []).sort(), masterId: masterOf(group), version: group.links };
}

/**
 * Each stored link once, in the order given: the first decision of its key,
 * unless a later one applied a link the first refused (a redrive decided it
 * afresh, and until ClickHouse merges the two rows both are read). A link
 * once applied is never refused later, so the applied decision is the
 * newer.
 */
export function decidedLinks(stored: readonly StoredLink[]): StoredLink[] {
  const byKey = new Map<string, StoredLink>();
  for (const link of stored) {
    const key = linkKey(link);
    const had = byKey.get(key);
    if (had === undefined || (had.effect === 'refused' && link.effect !== 'refused')) byKey.set(key, link);
  }
  return [...byKey.values()];
}

/** Groups from stored links, each link once; returns them with the links by key. */
function groupsOf(stored: readonly StoredLink[]): { groups: Groups; byKey: Map<string, StoredLink> } {
  const groups = new Groups();
  const links = decidedLinks(stored);
  for (const link of links) if (link.effect !== 'refused') groups.apply(link);
  return { groups, byKey: new Map(links.map((link) => [linkKey(link), link])) };
}

/** A group as a refusal names it: an id of it, its size and, when it has one, a user id of it. */
function described(node: IdentityNode, shape: Shape): string {
  const others = shape.users - 1;
  const known = shape.user === undefined ? '' : `, known as ${shape.user}${others > 0 ? ` and ${others} more user id${others === 1 ? '' : 's'}` : ''}`;
  return `${node} (a group of ${shape.size}${known})`;
}

/** Why a link an identify makes does not verify under its source's secret; undefined when it does, or when the source verifies nothing. */
function unverified(link: NewLink, secret: string): string | undefined {
  if (link.call !== 'identify' || secret === '') return undefined;
  if (link.userHash === undefined) return `identity verification failed: source ${link.sourceId} verifies identities, and the identify of ${link.left} as ${link.right} carries no user_hash`;
  if (!verifies(secret, userIdOf(link.right) ?? '', link.userHash))
    return `identity verification failed: the user_hash of the identify of ${link.left} as ${link.right} is not the one source ${link.sourceId}'s identity secret gives`;
  return undefined;
}

/** Why a new link is refused, or undefined when it is applied. */
function refusal(link: NewLink, groups: Groups, rules: LinkRules): string | undefined {
  const settings = rules.sources(link.sourceId);
  const notVerified = unverified(link, settings.identitySecret);
  if (notVerified !== undefined) return notVerified;
  // A link inside one group joins nothing.
  if (groups.together(link.left, link.right)) return undefined;
  const [left, right] = [groups.shapeOf(link.left), groups.shapeOf(link.right)];
  if (!settings.trusted && identified(left) && identified(right)) {
    return `two identified persons: linking ${described(link.left, left)} and ${described(link.right, right)} would merge persons known under different user ids; only a trusted source may`;
  }
  if (left.size + right.size > rules.maxGroupSize) {
    return `group-size cap: linking ${link.left} (a group of ${left.size}) and ${link.right} (a group of ${right.size}) would make a group of ${left.size + right.size} ids; TRIBUTARY_IDENTITY_MAX_GROUP is ${rules.maxGroupSize}`;
  }
  return undefined;
}

/**
 * Decides a batch's links (in stream order) against the stored links of the
 * groups they touch. A link decided before keeps its decision, unless it was
 * refused and `again` is set (a redrive of refused links, once their cause
 * may be fixed): then it is decided afresh. A new one is refused when it
 * does not verify, when it would merge two identified persons from a source
 * not trusted, or when it would make a group larger than
 * `rules.maxGroupSize`.
 */
export function decide(stored: readonly StoredLink[], incoming: readonly NewLink[], rules: LinkRules, again = false): Decisions {
  const { groups, byKey } = groupsOf(stored);
  const decisions: LinkDecision[] = [];
  const refused: LinkDecision[] = [];
  for (const link of incoming) {
    const before = byKey.get(linkKey(link));
    if (before !== undefined && !(again && before.effect === 'refused')) {
      if (before.effect === 'refused') refused.push({ link, effect: 'refused', reason: before.reason, masterId: '', groupSize: 0 });
      continue;
    }
    const reason = refusal(link, groups, rules);
    if (reason !== undefined) {
      const decision: LinkDecision = { link, effect: 'refused', reason, masterId: '', groupSize: 0 };
      decisions.push(decision);
      refused.push(decision);
      continue;
    }
    const [sizeLeft, sizeRight] = [groups.shapeOf(link.left).size, groups.shapeOf(link.right).size];
    const effect: LinkEffect = groups.together(link.left, link.right) ? 'redundant' : sizeLeft > 1 && sizeRight > 1 ? 'merged' : 'linked';
    groups.apply(link);
    const group = groups.group(link.left);
    decisions.push({ link, effect, reason: '', masterId: masterOf(group), groupSize: group.size });
  }
  return { decisions, refused };
}

/**
 * The master rows of the groups `seeds` belong to, from every stored link of
 * them (decisions included), that differ from the `current` ones.
 */
export function mastersToWrite(stored: readonly StoredLink[], seeds: Iterable<IdentityNode>, current: ReadonlyMap<string, StoredMaster>): ProfileMaster[] {
  const { groups } = groupsOf(stored);
  const roots = new Set([...seeds].filter((node) => groups.has(node)).map((node) => groups.root(node)));
  const masters: ProfileMaster[] = [];
  for (const [root, nodes] of groups.members()) {
    if (!roots.has(root)) continue;
    const group = groups.group(root);
    const masterId = masterOf(group);
    for (const node of nodes) {
      const profileId = profileIdOf(node);
      if (profileId === undefined) continue;
      const now = current.get(profileId);
      if (now !== undefined && now.masterId === masterId && now.version === group.links) continue;
      masters.push({ profileId, masterId, version: group.links, groupSize: group.size, lastLinkEventId: group.last?.eventId ?? '' });
    }
  }
  return masters;
}
