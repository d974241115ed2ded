/**
 * The identity stage's handling of one batch from its consumers: the links
 * of the batch's identify and alias events, resolved into the graph
 * (identity-resolver.ts); suppressions and consent decisions spread over
 * the groups new links make (suppression-spread.ts, consent-spread.ts);
 * refused links set aside as dead letters (their events are stored by the
 * sink all the same); the decisions of its consent events spread over the
 * persons they name; then every message acked. Messages that do not decode
 * are the sink's to set aside; here they link and decide nothing.
 */
import type { Metrics } from '../observability/metrics';
import type { Retrying } from '../stages/consumer-loop';
import { deadLetter, type DeadLetters, type StageMessage } from '../stages/dead-letters';
import type { IdentityResolver } from './identity-resolver';
import { linksOf, type LinkingEvent } from './links';
import { envelopeOf } from '../stages/envelope-of';
import { linkingEventOf } from './linking-event';
import { consentEventOf, type ConsentEvent } from './consent-event';
import type { ConsentSpread } from './consent-spread';
import type { SuppressionSpread } from './suppression-spread';

/** What follows identity in the ledger, when the process holds it. */
export interface Spreads {
  readonly suppression: SuppressionSpread;
  readonly consent: ConsentSpread;
}

/** Resolves batches of identify and alias events, and spreads consent events' decisions. */
export class IdentityBatches {
  constructor(
    private readonly resolver: IdentityResolver,
    private readonly deadLetters: DeadLetters,
    private readonly metrics: Metrics,
    /** Spreads suppressions and consent over the groups of new links and decisions, when the process holds the ledger. */
    private readonly spreads?: Spreads,
    /** A task's path: only the refusals it decides become dead letters, not those decided before (which a replay meets again, and which are dead letters already). */
    private readonly newRefusalsOnly = false,
  ) {}

  /** Handles one batch; every message ends acked. */
  async handle(batch: readonly StageMessage[], retrying: Retrying): Promise<void> {
    // One decode per message: a batch is one consumer's, all links or all decisions.
    const envelopes = batch.map((msg) => ({ seq: msg.seq, envelope: envelopeOf(msg) }));
    const links = linksOf(envelopes.map(({ seq, envelope }) => envelope && linkingEventOf(envelope, seq)).filter((e): e is LinkingEvent => e !== undefined));
    if (links.length > 0) {
      const started = performance.now();
      const decided = await retrying('identity resolution', () => this.resolver.resolve(links));
      this.metrics.identitySeconds.observe((performance.now() - started) / 1000);
      for (const d of decided.decisions) this.metrics.identityLinks.inc({ effect: d.effect });
      const spreads = this.spreads;
      if (spreads !== undefined) {
        await retrying('suppression of linked ids', () => spreads.suppression.afterLinks(decided.decisions));
        await retrying('consent of linked ids', () => spreads.consent.afterLinks(decided.decisions));
      }
      const bySeq = new Map(batch.map((msg) => [msg.seq, msg]));
      const refused = this.newRefusalsOnly ? decided.refused.filter((d) => decided.decisions.includes(d)) : decided.refused;
      const letters = refused.map((d) => deadLetter(bySeq.get(d.link.seq) as StageMessage, 'IDENTITY_LINK_REFUSED', d.reason, d.link.sourceId));
      await retrying('dead-letter write', () => this.deadLetters.record(letters));
      for (const l of letters) this.metrics.deadLetters.inc({ reason: l.reason });
    }
    const consent = this.spreads?.consent;
    if (consent !== undefined) {
      const decisions = envelopes.map(({ seq, envelope }) => envelope && consentEventOf(envelope, seq)).filter((e): e is ConsentEvent => e !== undefined);
      if (decisions.length > 0) await retrying('consent of the persons decided', () => consent.afterDecisions(decisions));
    }
    for (const msg of batch) msg.ack();
  }
}
