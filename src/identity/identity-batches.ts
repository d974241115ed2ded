/**
 * The identity stage's handling of one batch from its consumers: the links
 * of the batch's identify and alias events, resolved into the graph
 * (identity-resolver.ts); suppressions spread over the groups new links
 * make (suppression-spread.ts); refused links set aside as dead letters (their
 * events are stored by the sink all the same); then every message acked.
 * Messages that do not decode are the sink's to set aside; here they link
 * nothing.
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { Metrics } from '../observability/metrics';
import type { Retrying } from '../stages/consumer-loop';
import { deadLetter, type DeadLetters } from '../stages/dead-letters';
import type { IdentityResolver } from './identity-resolver';
import { linksOf, type LinkingEvent } from './links';
import { linkingEvent } from './linking-event';
import type { SuppressionSpread } from './suppression-spread';

/** Decodes what a message says about identity; undefined for what cannot be read. */
function eventOf(msg: JsMsg): LinkingEvent | undefined {
  try {
    return linkingEvent(msg.data, msg.seq);
  } catch {
    return undefined;
  }
}

/** Resolves batches of identify and alias events. */
export class IdentityBatches {
  constructor(
    private readonly resolver: IdentityResolver,
    private readonly deadLetters: DeadLetters,
    private readonly metrics: Metrics,
    /** Spreads suppressions over the groups new links make, when the process holds the ledger. */
    private readonly spread?: SuppressionSpread,
  ) {}

  /** Handles one batch; every message ends acked. */
  async handle(batch: readonly JsMsg[], retrying: Retrying): Promise<void> {
    const links = linksOf(batch.map(eventOf).filter((e): e is LinkingEvent => e !== undefined));
    if (links.length > 0) {
      const started = performance.now();
      const decided = await retrying('identity resolution', () => this.resolver.resolve(links));
      this.metrics.identitySeconds.observe((performance.now() - started) / 1000);
      for (const d of decided.decisions) this.metrics.identityLinks.inc({ effect: d.effect });
      const spread = this.spread;
      if (spread !== undefined) await retrying('suppression of linked ids', () => spread.afterLinks(decided.decisions));
      const bySeq = new Map(batch.map((msg) => [msg.seq, msg]));
      const letters = decided.refused.map((d) => deadLetter(bySeq.get(d.link.seq) as JsMsg, 'IDENTITY_LINK_REFUSED', d.reason, d.link.sourceId));
      await retrying('dead-letter write', () => this.deadLetters.record(letters));
      for (const l of letters) this.metrics.deadLetters.inc({ reason: l.reason });
    }
    for (const msg of batch) msg.ack();
  }
}
