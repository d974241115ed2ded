/**
 * A regulation's identity expansion: from the ids it names (as hashed ids
 * in erasure_keys) to every id of the same persons, by the identity graph
 * alone: it walks the groups of the nodes whose ids are covered (groupLinks,
 * as the identity stage reads it), and refused links join nobody. A profile
 * that merely carried a covered user id on an event (a shared device whose
 * link was refused, or a track with a user id) is not taken as the person:
 * erasure removes those events by their user id, and the rest of that
 * profile stays.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { groupLinks, selectOn } from '../identity/identity-graph';
import { profileIdOf, userIdOf } from '../identity/links';

/** Every id of the persons whose ids satisfy `covered` (a condition on a column), the covered ids among them. */
export async function expandIdentity(client: ClickHouseClient, database: string, covered: (column: string) => string): Promise<Set<string>> {
  const select = selectOn(client);
  const seeds = await select<{ node: string }>(`SELECT DISTINCT node FROM ${database}.identity_edges WHERE ${covered("substring(node, position(node, ':') + 1)")}`, []);
  const nodes = new Set(seeds.map((s) => s.node));
  for (const link of await groupLinks(select, database, nodes)) {
    if (link.effect === 'refused') continue;
    nodes.add(link.left).add(link.right);
  }
  const ids = new Set<string>();
  for (const node of nodes) {
    const id = profileIdOf(node) ?? userIdOf(node);
    if (id !== undefined && id !== '') ids.add(id);
  }
  return ids;
}
