/**
 * `tributary identities explain <id>`: why an id has the master id it has.
 * Reads the identity graph of a running serve or sink through its admin
 * endpoint, with the sink's own graph reader, and prints the group, the chain
 * of links from the id to its master, every link with the event that made it,
 * and the links refused at its edge.
 */
import { postAdminQuery } from '../http/admin-query-client';
import { explain, type Explanation } from '../identity/explain';
import { groupLinks, storedMasters, type Select } from '../identity/identity-graph';
import { inlineIds } from '../storage/id-lists';
import { nodeOf, profileIdOf } from '../identity/links';
import type { StoredLink } from '../identity/resolve';

/** What `identities explain` needs. */
export interface ExplainOptions {
  /** The HTTP endpoint, host:port. */
  readonly address: string;
  readonly adminKey: string;
  readonly database: string;
  readonly json: boolean;
}

const linkLine = (l: StoredLink): string => `#${l.seq}  ${l.originalTimestamp}  ${l.call.padEnd(8)}  ${l.left} — ${l.right}  (event ${l.eventId}, source ${l.sourceId})`;

function print(e: Explanation, stored: { masterId: string; version: number } | undefined): void {
  console.log(`${e.node}: a group of ${e.members.length} id${e.members.length === 1 ? '' : 's'}, master id ${e.masterId === '' ? '(none: no profile in the group yet)' : e.masterId}`);
  if (stored !== undefined) console.log(`  profile_masters holds ${stored.masterId} (version ${stored.version}; the links give version ${e.version})`);
  if (e.path.length > 0) {
    console.log('\nchain to the master:');
    for (const l of e.path) console.log(`  ${l.left} → ${l.right}  by ${l.call} ${l.eventId} at ${l.originalTimestamp}`);
  }
  console.log(`\nids:\n${e.members.map((m) => `  ${m}`).join('\n')}`);
  if (e.links.length > 0) console.log(`\nlinks, in stream order:\n${e.links.map((l) => `  ${linkLine(l)}  ${l.effect}`).join('\n')}`);
  if (e.refused.length > 0) console.log(`\nrefused links:\n${e.refused.map((l) => `  ${linkLine(l)}\n    ${l.reason}`).join('\n')}`);
}

/** Explains the group of `id` (a profile id, or `user:<id>`); throws AdminQueryFailed when the endpoint refuses or fails a read. */
export async function explainIdentity(id: string, options: ExplainOptions): Promise<void> {
  const select: Select = (sql, ids) => postAdminQuery(options.address, options.adminKey, inlineIds(sql, ids));
  const node = nodeOf(id);
  const explanation = explain(await groupLinks(select, options.database, [node]), node);
  const profileId = profileIdOf(node);
  const stored = profileId === undefined ? undefined : (await storedMasters(select, options.database, [profileId])).get(profileId);
  if (options.json) console.log(JSON.stringify({ ...explanation, stored: stored ?? null }));
  else print(explanation, stored);
}
