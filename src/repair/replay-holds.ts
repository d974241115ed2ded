/**
 * What a replay holds back, so that it never restores what privacy took
 * away: the records of a person the policy ledger suppresses for their
 * source, and those of a person an erasure covered that reached Tributary
 * before the erasure was asked for (a person's records sent after a DELETE
 * are stored again, as the DELETE allows). An erasure writes the hashed ids
 * it covers to erasure_keys before it erases anything, and its time is in
 * the regulations' store. A message whose envelope cannot be read is held
 * too: whose it is cannot be told (the live sink made it a dead letter). So
 * is a record its source's current tracking plan, in block mode, would
 * reject, unless the task was asked to restore those (include_blocked).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { SourceLookup } from '../config/source-settings';
import type { Envelope } from '../gen/tributary/ingest/v1/envelope';
import type { Record } from '../gen/tributary/ingest/v1/record';
import { recordPlanCheck } from '../plan/record-plan-check';
import { personIds } from '../policy/person-ids';
import type { PolicyLedger } from '../policy/policy-ledger';
import { erases, type RegulationStore } from '../policy/regulation-store';
import { SETTINGS } from '../storage/clickhouse-client';
import { IDS_PARAM } from '../storage/id-lists';

/** No bytes: a decoded record's plan check reads the record, not its encoding. */
const NO_BYTES = new Uint8Array(0);

/** The holds of one replay, which remembers the erasures it has looked up. */
export class ReplayHolds {
  /** When each regulation met so far was asked for (epoch ms), or undefined for one that erases nothing. */
  private readonly erasedAt = new Map<string, number | undefined>();

  constructor(
    private readonly ledger: PolicyLedger,
    private readonly client: ClickHouseClient,
    private readonly database: string,
    private readonly regulations: RegulationStore,
    /** Each source's settings now, its tracking plan among them. */
    private readonly sources: SourceLookup,
    /** Whether records the plans would block are let through. */
    private readonly includeBlocked: boolean,
  ) {}

  /** Whether the current plan of the record's source, in block mode, would reject it. */
  private blocked(envelope: Envelope, record: Record): boolean {
    const plan = this.sources(envelope.sourceId).plan;
    return !this.includeBlocked && plan?.mode === 'block' && recordPlanCheck(plan.plan, record, NO_BYTES, undefined).length > 0;
  }

  /** The places in `envelopes` (undefined where a message did not decode) whose records are held back. */
  async held(envelopes: readonly (Envelope | undefined)[]): Promise<Set<number>> {
    const held = new Set<number>();
    const { ledger } = this;
    const hashedIds: string[][] = envelopes.map((envelope, i) => {
      const record = envelope?.record;
      if (envelope === undefined || record === undefined) {
        held.add(i);
        return [];
      }
      const ids = personIds(record);
      if (
        ledger.suppressedCount > 0 &&
        ledger.suppresses(
          envelope.sourceId,
          ids.map((id) => ledger.hasher.binary(id)),
        )
      )
        held.add(i);
      else if (this.blocked(envelope, record)) held.add(i);
      return ids.map((id) => ledger.hasher.of(id));
    });
    const asked = [...new Set(hashedIds.flatMap((ids, i) => (held.has(i) ? [] : ids)))];
    if (asked.length === 0) return held;
    const erasedSince = await this.erasures(asked);
    envelopes.forEach((envelope, i) => {
      const receivedAt = envelope?.receivedAt?.getTime() ?? 0;
      if (!held.has(i) && hashedIds[i].some((id) => receivedAt <= (erasedSince.get(id) ?? -1))) held.add(i);
    });
    return held;
  }

  /** For each of `hashedIds` an erasure covered, when the latest such erasure was asked for (epoch ms). */
  private async erasures(hashedIds: readonly string[]): Promise<Map<string, number>> {
    const result = await this.client.query({
      query: `SELECT key, groupUniqArray(regulation_id) AS regulations FROM ${this.database}.erasure_keys WHERE key IN ${IDS_PARAM} GROUP BY key`,
      query_params: { ids: hashedIds },
      format: 'JSONEachRow',
      clickhouse_settings: SETTINGS,
    });
    const latest = new Map<string, number>();
    for (const { key, regulations } of await result.json<{ key: string; regulations: string[] }>()) {
      for (const id of regulations) {
        if (!this.erasedAt.has(id)) {
          const state = await this.regulations.get(id);
          // An erasure whose state is gone is still an erasure: it holds the person's records whenever they came.
          this.erasedAt.set(id, state === undefined ? Infinity : erases(state.kind) ? Date.parse(state.createdAt) : undefined);
        }
        const at = this.erasedAt.get(id);
        if (at !== undefined && at > (latest.get(key) ?? -1)) latest.set(key, at);
      }
    }
    return latest;
  }
}
