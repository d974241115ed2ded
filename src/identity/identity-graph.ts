/**
 * Reads the identity graph from ClickHouse: the links of the groups some ids
 * belong to (walked breadth first over identity_edges, which holds each link
 * under both its ids), and profiles' stored masters. Storage is reached
 * through a `select` function, so the identity stage (its own client) and
 * `tributary identities` (the admin endpoint) read it the same way.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { selectRows } from '../storage/clickhouse-client';
import { IDS_PARAM, idChunks } from '../storage/id-lists';
import type { IdentityNode } from './links';
import type { LinkEffect, StoredLink, StoredMaster } from './resolve';

/** Runs one SELECT whose {@link IDS_PARAM} is bound to `ids`, and returns its rows as JSON objects. */
export type Select = <T>(sql: string, ids: readonly string[]) => Promise<T[]>;

/** The {@link Select} of a ClickHouse client. */
export const selectOn =
  (client: ClickHouseClient): Select =>
  <T>(query: string, ids: readonly string[]) =>
    selectRows<T>(client, query, { ids });

interface EdgeRow {
  node: string;
  other: string;
  /** 1 when node is the link's left id. */
  forward: number;
  source_id: string;
  event_id: string;
  call: 'identify' | 'alias';
  original_timestamp: string;
  stream_seq: number | string;
  effect: LinkEffect;
  reason: string;
}

/** Every stored link, refused ones included, of the groups `seeds` belong to; refused links are not walked through. */
export async function groupLinks(select: Select, database: string, seeds: Iterable<IdentityNode>): Promise<StoredLink[]> {
  const seen = new Set<IdentityNode>();
  const links: StoredLink[] = [];
  for (let frontier = new Set(seeds); frontier.size > 0;) {
    for (const node of frontier) seen.add(node);
    const next = new Set<IdentityNode>();
    for (const ids of idChunks(frontier)) {
      const rows = await select<EdgeRow>(
        `SELECT node, other, forward, source_id, event_id, call, original_timestamp, stream_seq, effect, reason FROM ${database}.identity_edges WHERE node IN ${IDS_PARAM}`,
        ids,
      );
      for (const row of rows) {
        links.push({
          sourceId: row.source_id,
          eventId: row.event_id,
          call: row.call,
          left: row.forward === 1 ? row.node : row.other,
          right: row.forward === 1 ? row.other : row.node,
          originalTimestamp: row.original_timestamp,
          seq: Number(row.stream_seq),
          effect: row.effect,
          reason: row.reason,
        });
        if (row.effect !== 'refused' && !seen.has(row.other)) next.add(row.other);
      }
    }
    frontier = next;
  }
  return links;
}

/** The identity group of each of `seeds`: every node joined to it by links that were not refused, itself included. */
export async function groupsOf(select: Select, database: string, seeds: Iterable<IdentityNode>): Promise<Map<IdentityNode, ReadonlySet<IdentityNode>>> {
  const seedList = [...new Set(seeds)];
  const parent = new Map<IdentityNode, IdentityNode>(seedList.map((node) => [node, node]));
  const root = (node: IdentityNode): IdentityNode => {
    let at = node;
    while (parent.get(at) !== at) at = parent.get(at) ?? at;
    parent.set(node, at);
    return at;
  };
  for (const link of await groupLinks(select, database, seedList)) {
    if (link.effect === 'refused') continue;
    for (const node of [link.left, link.right]) if (!parent.has(node)) parent.set(node, node);
    parent.set(root(link.left), root(link.right));
  }
  const members = new Map<IdentityNode, Set<IdentityNode>>();
  for (const node of parent.keys()) {
    const group = members.get(root(node)) ?? new Set<IdentityNode>();
    members.set(root(node), group.add(node));
  }
  return new Map(seedList.map((seed) => [seed, members.get(root(seed)) as Set<IdentityNode>]));
}

/** The stored master and version of each profile that has one. */
export async function storedMasters(select: Select, database: string, profileIds: Iterable<string>): Promise<Map<string, StoredMaster>> {
  const masters = new Map<string, StoredMaster>();
  for (const ids of idChunks(profileIds)) {
    const rows = await select<{ profile_id: string; master_id: string; version: number | string }>(
      `SELECT profile_id, master_id, version FROM ${database}.profile_masters FINAL WHERE profile_id IN ${IDS_PARAM}`,
      ids,
    );
    for (const row of rows) masters.set(row.profile_id, { masterId: row.master_id, version: Number(row.version) });
  }
  return masters;
}
