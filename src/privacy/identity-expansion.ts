/**
 * A regulation's identity expansion: from the ids it names (as hashed ids
 * in erasure_keys) to every id of the same persons. It walks the identity
 * graph from the nodes whose ids are covered (groupLinks, as the identity
 * stage reads it: refused links join nobody), and adds the ids that events
 * carried together with a covered one (the profile that sent a covered user
 * id or email, the user ids a covered profile sent).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { groupLinks, selectOn } from '../identity/identity-graph';
import { profileIdOf, profileNode, userIdOf, userNode } from '../identity/links';

/** Every id of the persons whose ids satisfy `covered` (a condition on a column), the covered ids among them. */
export async function expandIdentity(client: ClickHouseClient, database: string, covered: (column: string) => string): Promise<Set<string>> {
  const select = selectOn(client);
  const rows = <T>(query: string) => select<T>(query, []);
  const ids = new Set<string>();
  const seeds = await rows<{ node: string }>(`SELECT DISTINCT node FROM ${database}.identity_edges WHERE ${covered("substring(node, position(node, ':') + 1)")}`);
  const events = await rows<{ profile_id: string; user_id: string }>(
    `SELECT DISTINCT profile_id, user_id FROM ${database}.events WHERE ${['profile_id', 'user_id', 'consent_email'].map(covered).join(' OR ')}`,
  );
  for (const { profile_id, user_id } of events) for (const id of [profile_id, user_id]) if (id !== '') ids.add(id);
  const nodes = new Set(seeds.map((s) => s.node));
  for (const link of await groupLinks(select, database, [...nodes, ...[...ids].flatMap((id) => [profileNode(id), userNode(id)])])) {
    if (link.effect === 'refused') continue;
    nodes.add(link.left).add(link.right);
  }
  for (const node of nodes) {
    const id = profileIdOf(node) ?? userIdOf(node);
    if (id !== undefined && id !== '') ids.add(id);
  }
  return ids;
}
