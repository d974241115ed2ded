/**
 * Erasure in ClickHouse: the hashed ids a regulation covers go into
 * erasure_keys, and every personal table (personal-tables.ts) loses the
 * rows whose ids hash to one of them, by a mutation that rewrites the parts
 * holding them (so the bytes leave the active parts, not only a mask). The
 * statements carry the salt and the regulation id, never an id. Running it
 * again deletes nothing more.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { SETTINGS } from '../storage/clickhouse-client';
import { PERSONAL_TABLES } from './personal-tables';

/** Keys inserted per statement. */
const KEYS_PER_INSERT = 10_000;
/** What a salt or a regulation id may hold to be written into a statement. */
const SAFE = /^[A-Za-z0-9_-]+$/;

/** Rows deleted, by table. */
export type RowCounts = { [table: string]: number };

/** Erases covered persons' rows. */
export class ClickHouseErasure {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    private readonly salt: string,
  ) {
    if (!SAFE.test(salt)) throw new Error('the policy salt holds characters that cannot go into a statement');
  }

  /** Stores the hashed ids `regulationId` covers (again is harmless). */
  async storeKeys(regulationId: string, hashedIds: readonly string[]): Promise<void> {
    safe(regulationId);
    for (let at = 0; at < hashedIds.length; at += KEYS_PER_INSERT) {
      const values = hashedIds
        .slice(at, at + KEYS_PER_INSERT)
        .map((key) => {
          if (!/^[0-9a-f]{64}$/.test(key)) throw new Error('a covered id is not a hashed id');
          return `('${regulationId}', '${key}')`;
        })
        .join(',');
      await this.client.command({ query: `INSERT INTO ${this.database}.erasure_keys (regulation_id, key) VALUES ${values}`, clickhouse_settings: SETTINGS });
    }
  }

  /** The hashed ids `regulationId` covers as stored so far (by an earlier run of it). */
  async keysOf(regulationId: string): Promise<string[]> {
    safe(regulationId);
    const result = await this.client.query({
      query: `SELECT DISTINCT key FROM ${this.database}.erasure_keys WHERE regulation_id = '${regulationId}'`,
      format: 'JSONEachRow',
      clickhouse_settings: SETTINGS,
    });
    return (await result.json<{ key: string }>()).map((r) => r.key);
  }

  /** The stream sequences of every row of the covered persons that came from a stream message. */
  async streamSeqs(regulationId: string): Promise<number[]> {
    const covered = this.covered(regulationId);
    const selects = PERSONAL_TABLES.filter((t) => t.streamSeq !== undefined).map((t) => `SELECT ${t.streamSeq} AS seq FROM ${this.database}.${t.table} WHERE ${t.where(covered, this.database)}`);
    const result = await this.client.query({ query: `SELECT DISTINCT seq FROM (${selects.join(' UNION ALL ')}) ORDER BY seq`, format: 'JSONEachRow', clickhouse_settings: SETTINGS });
    return (await result.json<{ seq: number }>()).map((r) => Number(r.seq));
  }

  /** Deletes the covered persons' rows from every personal table, in order; returns the rows deleted per table. */
  async eraseRows(regulationId: string): Promise<RowCounts> {
    const covered = this.covered(regulationId);
    const counts: RowCounts = {};
    for (const { table, where } of PERSONAL_TABLES) {
      const condition = where(covered, this.database);
      const result = await this.client.query({ query: `SELECT count() AS n FROM ${this.database}.${table} WHERE ${condition}`, format: 'JSONEachRow', clickhouse_settings: SETTINGS });
      const [{ n }] = await result.json<{ n: number }>();
      counts[table] = Number(n);
      if (counts[table] > 0) await this.mutate(`ALTER TABLE ${this.database}.${table} DELETE WHERE ${condition}`);
    }
    return counts;
  }

  /** Deletes dead_letters rows by stream sequence. */
  async eraseDeadLetterRows(seqs: readonly number[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.mutate(`ALTER TABLE ${this.database}.dead_letters DELETE WHERE stream_seq IN (${seqs.map((s) => String(Math.trunc(s))).join(',')})`);
  }

  /** Every dead letter's stream sequence and payload (dead letters are few: they are the sink's failures). */
  async deadLetters(): Promise<{ seq: number; payload: Buffer }[]> {
    const result = await this.client.query({ query: `SELECT stream_seq AS seq, payload_base64 AS payload FROM ${this.database}.dead_letters`, format: 'JSONEachRow', clickhouse_settings: SETTINGS });
    return (await result.json<{ seq: number; payload: string }>()).map((r) => ({ seq: Number(r.seq), payload: Buffer.from(r.payload, 'base64') }));
  }

  /** The condition that `column`'s id is one `regulationId` covers. */
  covered(regulationId: string): (column: string) => string {
    safe(regulationId);
    return (column) => `lower(hex(SHA256(concat('${this.salt}', ${column})))) IN (SELECT key FROM ${this.database}.erasure_keys WHERE regulation_id = '${regulationId}')`;
  }

  /** Runs a mutation and waits until every replica has applied it (its parts rewritten). */
  private async mutate(statement: string): Promise<void> {
    await this.client.command({ query: statement, clickhouse_settings: { ...SETTINGS, mutations_sync: '2', allow_nondeterministic_mutations: 1 } });
  }
}

function safe(regulationId: string): void {
  if (!SAFE.test(regulationId)) throw new Error('a regulation id holds characters that cannot go into a statement');
}
