/**
 * Consent follows identity: the identity stage merges each decision from
 * the stream into every id of the persons it names (their identity groups),
 * and, when a new link joins two groups, each group's winning decisions into
 * every id of the group it makes. So every id of a person holds the
 * person's latest decision on each category, in the policy ledger (which
 * the gateways enforce) and in consent_decisions (which the view
 * consent_current reads). The gateway that took a decision already wrote it
 * for the ids it names; merging it again changes nothing.
 *
 * A decision's groups are read again after each write until a read finds
 * no id it has not written: a link stored while it wrote is found by the
 * next read, and a link stored after the last read finds the decision on
 * its own ids (afterLinks, which reads nothing for links none of whose ids
 * holds a decision).
 */
import { mergeEntry, type ConsentEntry, type Decision } from '../policy/consent';
import { inChunks } from '../policy/in-chunks';
import type { PolicyLedger } from '../policy/policy-ledger';
import { objectRow, type ClickHouseWriter, type PendingRow } from '../storage/clickhouse-writer';
import { toDateTime64 } from '../storage/datetime';
import type { ConsentEvent } from './consent-event';
import { groupsOf, type Select } from './identity-graph';
import { idOfNode, type IdentityNode } from './links';
import type { LinkDecision } from './resolve';

/** Most reads of a batch's groups: past it, links keep arriving faster than they are read, and the next batch or link goes on. */
const MAX_READS = 10;

/** What brought decisions to an id: the consent event, or the link that joined its group to theirs. */
interface Cause {
  readonly sourceId: string;
  readonly eventId: string;
  readonly seq: number;
}

/** Spreads consent decisions over identity groups. */
export class ConsentSpread {
  constructor(
    private readonly ledger: PolicyLedger,
    private readonly select: Select,
    private readonly database: string,
    private readonly writer: ClickHouseWriter,
  ) {}

  /** Merges each of `events`' decisions into every id of the groups of the nodes it names. */
  async afterDecisions(events: readonly ConsentEvent[]): Promise<void> {
    const written = new Set<string>();
    for (let read = 0; read < MAX_READS && events.length > 0; read++) {
      const groups = await groupsOf(
        this.select,
        this.database,
        events.flatMap((event) => event.nodes),
      );
      const rows: PendingRow[] = [];
      const byId = new Map<string, Decision[]>();
      for (const event of events) {
        const reached = new Set(event.nodes.flatMap((node) => [...(groups.get(node) ?? [node])]).map(idOfNode));
        for (const id of reached) {
          const key = `${id}\u0000${event.seq}`;
          if (written.has(key)) continue;
          written.add(key);
          rows.push(...decisionRows(id, [event.decision], event));
          byId.set(id, [...(byId.get(id) ?? []), event.decision]);
        }
      }
      if (byId.size === 0) return;
      await this.store(rows, byId);
    }
  }

  /** After `decisions` are stored: merges the decisions of the ids of each new link's group into all of them. */
  async afterLinks(decisions: readonly LinkDecision[]): Promise<void> {
    if (this.ledger.consentCount === 0) return;
    const links = decisions
      .filter(({ effect }) => effect !== 'refused' && effect !== 'redundant')
      .map(({ link }) => link)
      .filter((link) => this.holds(link.left) || this.holds(link.right));
    if (links.length === 0) return;
    // One read for every link of the batch; each link's group is its two ends' (one group, once linked).
    const groups = await groupsOf(
      this.select,
      this.database,
      links.flatMap((link) => [link.left, link.right]),
    );
    const rows: PendingRow[] = [];
    const byId = new Map<string, Decision[]>();
    const done = new Set<ReadonlySet<IdentityNode>>();
    for (const link of links) {
      const group = groups.get(link.left);
      if (group === undefined || done.has(group)) continue;
      done.add(group);
      const ids = [...new Set([...group, ...(groups.get(link.right) ?? [])].map(idOfNode))];
      const union = mergeEntry(
        undefined,
        ids.flatMap((id) => this.entryOfId(id) ?? []),
      );
      for (const id of ids) {
        const held = this.entryOfId(id);
        const winning = union.filter((decision) => mergeEntry(held, [decision]) !== held);
        if (winning.length === 0) continue;
        rows.push(...decisionRows(id, winning, link));
        byId.set(id, winning);
      }
    }
    await this.store(rows, byId);
  }

  /** Writes the rows, then merges each id's decisions into the ledger where one of them wins over what it holds. */
  private async store(rows: readonly PendingRow[], byId: ReadonlyMap<string, readonly Decision[]>): Promise<void> {
    await this.writer.writeAll(rows);
    const changed = [...byId].filter(([id, decisions]) => {
      const held = this.entryOfId(id);
      return mergeEntry(held, decisions) !== held;
    });
    await inChunks(changed, ([id, decisions]) => this.ledger.decide(this.ledger.hasher.of(id), decisions));
  }

  private holds(node: IdentityNode): boolean {
    return this.ledger.holdsConsent(this.ledger.hasher.binary(idOfNode(node)));
  }

  private entryOfId(id: string): ConsentEntry | undefined {
    return this.ledger.consentOf(this.ledger.hasher.binary(id));
  }
}

/** The consent_decisions rows of `decisions` applied to `subject` because of `cause`. */
function decisionRows(subject: string, decisions: readonly Decision[], cause: Cause): PendingRow[] {
  return decisions.map((d) =>
    objectRow(
      cause.seq,
      'consent_decisions',
      {
        subject,
        category: d.category,
        action: d.accept ? 'accept' : 'reject',
        decided_at: toDateTime64(new Date(d.decidedAt)),
        valid_until: toDateTime64(new Date(d.validUntil)),
        source: d.source,
        applied_by_source: cause.sourceId,
        applied_by_event: cause.eventId,
        stream_seq: cause.seq,
      },
      `${subject}\u0000${cause.seq}\u0000${d.category}`,
    ),
  );
}
