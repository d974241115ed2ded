/**
 * Explaining an id's identity group, for `tributary identities explain`: its
 * ids, its master, the chain of links from the id to the master, every link
 * of the group in the order the stream received them (the order masters
 * follow), and the links refused at its edge. Pure: it works on the group's
 * stored links as identity-graph.ts reads them.
 */
import { profileNode, type IdentityNode } from './links';
import { decidedLinks, groupOf, type StoredLink } from './resolve';

/** An id's group, explained. */
export interface Explanation {
  readonly node: IdentityNode;
  readonly members: IdentityNode[];
  /** The master id the links give; empty while the group holds no profile. */
  readonly masterId: string;
  /** Applied links in the group. */
  readonly version: number;
  /** The links from the id to the master's profile, in walking order (oriented that way). */
  readonly path: StoredLink[];
  /** Every applied link of the group, by stream sequence. */
  readonly links: StoredLink[];
  /** Links refused at the group's edge. */
  readonly refused: StoredLink[];
}

const bySeq = (a: StoredLink, b: StoredLink): number => a.seq - b.seq;

/** The shortest chain of applied links from one id to another, breadth first; empty when they are the same or apart. */
function chain(links: readonly StoredLink[], from: IdentityNode, to: IdentityNode): StoredLink[] {
  const reachedBy = new Map<IdentityNode, StoredLink | undefined>([[from, undefined]]);
  for (let frontier = [from]; frontier.length > 0 && !reachedBy.has(to);) {
    const next: IdentityNode[] = [];
    for (const node of frontier) {
      for (const link of links) {
        const other = link.left === node ? link.right : link.right === node ? link.left : undefined;
        if (other === undefined || reachedBy.has(other)) continue;
        reachedBy.set(other, { ...link, left: node, right: other });
        next.push(other);
      }
    }
    frontier = next;
  }
  const path: StoredLink[] = [];
  for (let step = reachedBy.get(to); step !== undefined; step = reachedBy.get(step.left)) path.unshift(step);
  return path;
}

/** Explains the group of `node` from every stored link of it. */
export function explain(stored: readonly StoredLink[], node: IdentityNode): Explanation {
  // identity_edges holds each link under both its ids.
  const all = decidedLinks(stored);
  const applied = all.filter((l) => l.effect !== 'refused').sort(bySeq);
  const { members, masterId, version } = groupOf(applied, node);
  return {
    node,
    members,
    masterId,
    version,
    path: masterId === '' ? [] : chain(applied, node, profileNode(masterId)),
    links: applied,
    refused: all.filter((l) => l.effect === 'refused').sort(bySeq),
  };
}
