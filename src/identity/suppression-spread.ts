/**
 * Suppression follows identity: when the stage applies a link that joins a
 * suppressed id with others, every id of the group it makes is suppressed
 * as that id is (same sources, same regulation), so a person who was
 * suppressed under one id stays suppressed under the ids they use next.
 * Reading the group costs a walk of the graph, done only for links that
 * touch a suppressed id.
 */
import type { PolicyLedger } from '../policy/policy-ledger';
import type { Suppression } from '../policy/suppression';
import { groupsOf, type Select } from './identity-graph';
import { idOfNode, type IdentityNode } from './links';
import type { LinkDecision } from './resolve';

/** Spreads suppressions over the groups that new links make. */
export class SuppressionSpread {
  constructor(
    private readonly ledger: PolicyLedger,
    private readonly select: Select,
    private readonly database: string,
  ) {}

  /** After `decisions` are stored: suppresses every id of each group a new link joined to a suppressed id. */
  async afterLinks(decisions: readonly LinkDecision[]): Promise<void> {
    for (const { link, effect } of decisions) {
      if (effect === 'refused' || effect === 'redundant') continue;
      const suppression = this.suppressionOf(link.left) ?? this.suppressionOf(link.right);
      if (suppression === undefined) continue;
      const groups = await groupsOf(this.select, this.database, [link.left, link.right]);
      const nodes = new Set([...(groups.get(link.left) ?? []), ...(groups.get(link.right) ?? [])]);
      for (const node of nodes) await this.ledger.change(this.ledger.hasher.of(idOfNode(node)), (entry) => entry ?? suppression);
    }
  }

  private suppressionOf(node: IdentityNode): Suppression | undefined {
    if (this.ledger.suppressedCount === 0) return undefined;
    return this.ledger.suppressionOf(this.ledger.hasher.of(idOfNode(node)));
  }
}
