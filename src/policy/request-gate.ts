/**
 * The gateway's policy checks of one request's records, in request order:
 * a record naming a suppressed person is dropped; a record from a source
 * with a consent policy is dropped unless the person's decisions satisfy
 * it, counting those of the consent records earlier in the same request.
 * Consent and product records are never gated by consent. Each id is
 * hashed once per record, and not at all when nothing could drop it.
 */
import type { ConsentPolicy } from '../config/source-settings';
import type { Record } from '../gen/tributary/ingest/v1/record';
import { later, latest, verdictOf, type ConsentVerdict, type Decision } from './consent';
import { decisionOf } from './consent-record';
import { IdHasher } from './id-hash';
import { personIds } from './person-ids';
import { inChunks } from './in-chunks';
import type { PolicyLedger } from './policy-ledger';

/** Why the gate drops a record. */
export type GateVerdict = 'suppressed' | ConsentVerdict;

/** A consent record's decision, and the hashed ids (hex) it was made for, to be written to the ledger once it is in the stream. */
export interface MadeDecision {
  readonly hashedIds: readonly string[];
  readonly decision: Decision;
}

/** The checks of one request. */
export class RequestGate {
  /** Decisions of this request's consent records so far, by binary hashed id. */
  private readonly made = new Map<string, Decision[]>();

  constructor(
    private readonly ledger: PolicyLedger,
    private readonly sourceId: string,
    /** The source's consent policy, or undefined when its records are not gated by consent. */
    private readonly policy: ConsentPolicy | undefined,
    /** When the request was received, epoch ms: an accept counts until then. */
    private readonly nowMs: number,
  ) {}

  /** Why `record` must be dropped, or undefined when it may go on. Call it for every record, in request order. */
  verdict(record: Record): GateVerdict | undefined {
    const call = record.kind?.$case === 'event' ? record.kind.value.call?.$case : undefined;
    const gated = this.policy !== undefined && call !== undefined && call !== 'consent';
    if (!gated && this.ledger.suppressedCount === 0) return undefined;
    const hashes = personIds(record).map((id) => this.ledger.hasher.binary(id));
    if (this.ledger.suppressedCount > 0 && this.ledger.suppresses(this.sourceId, hashes)) return 'suppressed';
    if (!gated) return undefined;
    const made = this.made.size === 0 ? [] : hashes.map((hash) => this.made.get(hash));
    const latestOn = (category: string) => later(this.ledger.latestConsent(hashes, category), made.length === 0 ? undefined : latest(made, category));
    return verdictOf(this.policy as ConsentPolicy, latestOn, this.nowMs);
  }

  /**
   * Notes the decision of `record` when it is a valid consent record kept,
   * decided at `decidedAt` (its corrected timestamp): the records after it
   * in the request see it. Returns it, to be written to the ledger.
   */
  decide(record: Record, decidedAt: Date): MadeDecision | undefined {
    const decision = decisionOf(record, decidedAt);
    if (decision === undefined) return undefined;
    const hashes = personIds(record).map((id) => this.ledger.hasher.binary(id));
    for (const hash of hashes) {
      const list = this.made.get(hash);
      if (list === undefined) this.made.set(hash, [decision]);
      else list.push(decision);
    }
    return { hashedIds: hashes.map(IdHasher.hexOf), decision };
  }
}

/** Writes decisions that are in the stream to the ledger, each id's together. */
export async function writeDecisions(ledger: PolicyLedger, made: readonly MadeDecision[]): Promise<void> {
  const byId = new Map<string, Decision[]>();
  for (const { hashedIds, decision } of made) for (const id of hashedIds) byId.set(id, [...(byId.get(id) ?? []), decision]);
  await inChunks([...byId], ([id, decisions]) => ledger.decide(id, decisions));
}
