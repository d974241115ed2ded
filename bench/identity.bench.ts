/**
 * The cost of identity resolution per event: the identity stage's work
 * (links of a batch's stored events, the walk of their groups, the decisions
 * and master rows written) on the embedded ClickHouse, beside the insert of
 * the same batch's events for scale. The workload is seeded: people with one
 * to three devices that browse, then identify, some aliased to a CRM id, in a
 * shuffled stream cut into sink-sized batches. A second pass delivers every
 * batch again, as a replay does. Run with `make bench-identity`; it prints a
 * table and is never a test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';
import { loadConfig } from '../src/config/load';
import { noSourceSettings } from '../src/config/source-settings';
import type { Record } from '../src/gen/tributary/ingest/v1/record';
import { IdentityResolver } from '../src/identity/identity-resolver';
import { linkingEvent } from '../src/identity/linking-event';
import { linksOf, type LinkingEvent } from '../src/identity/links';
import { sinkRow } from '../src/sink/sink-batches';
import { ClickHouseWriter } from '../src/storage/clickhouse-writer';
import { RowBuffers } from '../src/sink/row-buffers';
import { createClickHouse } from '../src/storage/clickhouse-client';
import { migrate } from '../src/storage/migrate';
import { envelopesOf, SEED } from './suite/record-mix';

const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 10_000);
const BATCH = 10_000;
const ALIASED_PERCENT = 15;

/** The seeded stream: each person's devices browse and then identify; some people are aliased to a CRM id. */
function workload(): Record[] {
  const rng = xoroshiro128plus(SEED);
  const int = (min: number, max: number) => unsafeUniformIntDistribution(min, max, rng);
  const base = Date.UTC(2026, 10, 1);
  const records: Record[] = [];
  const event = (eventId: string, profileId: string, minute: number, call: NonNullable<Extract<Record['kind'], { $case: 'event' }>['value']['call']>, userId = ''): Record => ({
    eventId,
    timestamp: new Date(base + minute * 60_000),
    kind: { $case: 'event', value: { profileId, userId, sessionId: '', accountId: '', pageId: '', call } },
  });
  for (let person = 0; person < PEOPLE; person++) {
    const user = `user${person}@example.com`;
    let minute = int(0, 40_000);
    const devices = int(1, 3);
    for (let d = 0; d < devices; d++) {
      const profile = `anon_${person}_${d}`;
      for (let t = int(3, 10); t > 0; t--) records.push(event(`t_${person}_${d}_${t}`, profile, minute++, { $case: 'track', value: { name: 'Product Viewed', data: { sku: `sku_${int(1, 500)}` } } }));
      records.push(event(`i_${person}_${d}`, profile, minute++, { $case: 'identify', value: { userAttributes: { plan: 'pro' } } }, user));
    }
    if (int(1, 100) <= ALIASED_PERCENT) records.push(event(`a_${person}`, `anon_${person}_0`, minute++, { $case: 'alias', value: { anotherUserId: `crm_${person}` } }, user));
  }
  for (let i = records.length - 1; i > 0; i--) {
    const j = int(0, i);
    [records[i], records[j]] = [records[j], records[i]];
  }
  return records;
}

interface Pass {
  insertMs: number;
  identityMs: number;
  links: number;
  decided: number;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-identity-'));
  const client = createClickHouse(loadConfig({}, { dataDir }));
  try {
    const database = 'bench_identity';
    await migrate(client, { database, cluster: '', replicated: false }, pino({ level: 'silent' }));
    const writer = new ClickHouseWriter(client, database);
    const resolver = new IdentityResolver(client, database, writer, { maxGroupSize: 100, sources: noSourceSettings });
    const records = workload();
    const lines = new RowBuffers();
    const rows = envelopesOf(records).map((bytes, i) => ({ ...sinkRow(bytes, i + 1, lines), event: linkingEvent(bytes, i + 1) }));
    const batches = Array.from({ length: Math.ceil(rows.length / BATCH) }, (_, b) => rows.slice(b * BATCH, (b + 1) * BATCH));

    const pass = async (): Promise<Pass> => {
      const totals: Pass = { insertMs: 0, identityMs: 0, links: 0, decided: 0 };
      for (const batch of batches) {
        const inserting = performance.now();
        await writer.write(batch);
        const resolving = performance.now();
        const links = linksOf(batch.map((r) => r.event).filter((e): e is LinkingEvent => e !== undefined));
        const resolution = await resolver.resolve(links);
        const done = performance.now();
        totals.insertMs += resolving - inserting;
        totals.identityMs += done - resolving;
        totals.links += links.length;
        totals.decided += resolution.decisions.length;
      }
      return totals;
    };
    const first = await pass();
    const replay = await pass();

    const [{ profiles, groups }] = await (
      await client.query({ query: `SELECT count() AS profiles, uniqExact(master_id) AS groups FROM ${database}.profile_masters FINAL`, format: 'JSONEachRow' })
    ).json<{ profiles: number; groups: number }>();
    const row = (name: string, p: Pass) => ({
      pass: name,
      events: rows.length,
      links: p.links,
      'links decided': p.decided,
      'identity µs per event': Math.round(((p.identityMs * 1000) / rows.length) * 10) / 10,
      'identity µs per link': Math.round((p.identityMs * 1000) / Math.max(p.links, 1)),
      'events insert µs per event': Math.round(((p.insertMs * 1000) / rows.length) * 10) / 10,
      'identity share of batch time': `${Math.round((100 * p.identityMs) / (p.identityMs + p.insertMs))}%`,
    });
    console.log(`${PEOPLE} people, ${profiles} profiles stitched into ${groups} master ids; batches of ${BATCH} events on the embedded ClickHouse`);
    console.table([row('first delivery', first), row('replay', replay)]);
  } finally {
    await client.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
