/**
 * The identity stage's resolution of a batch of links: reads the groups the
 * links touch, decides the new links and stores them (identity_links, and
 * through its view identity_edges), one batch at a time in the process,
 * then reads the groups again and stores the masters that changed
 * (profile_masters). Everything it writes is derived from the links alone,
 * so a redelivered batch writes the same thing or nothing.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { InTurn } from '../lifecycle/in-turn';
import { toDateTime64 } from '../storage/datetime';
import { objectRow, type ClickHouseWriter, type PendingRow } from '../storage/clickhouse-writer';
import { groupLinks, selectOn, storedMasters, type Select } from './identity-graph';
import { profileIdOf, type IdentityNode, type NewLink } from './links';
import { decide, mastersToWrite, type Decisions, type LinkDecision, type LinkRules, type StoredLink } from './resolve';

/** Resolves identity links into ClickHouse. */
export class IdentityResolver {
  /**
   * A resolver into `database`, writing with `writer`. `again` decides links
   * refused before afresh (a redrive's resolver, made by {@link forTask});
   * `turns` and `select` are shared with the resolver it was made from.
   */
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    private readonly writer: ClickHouseWriter,
    private readonly rules: LinkRules,
    private readonly again = false,
    /** The decisions in progress in this process, which take turns (see decideInTurn). */
    private readonly turns = new InTurn(),
    private readonly select: Select = selectOn(client),
  ) {}

  /** The resolver of a task: it writes with insert tokens scoped by `tokenScope`, takes turns with this one, and decides refused links afresh when `again` (a redrive's). */
  forTask(tokenScope: string, again: boolean): IdentityResolver {
    return new IdentityResolver(this.client, this.database, this.writer.scoped(tokenScope), this.rules, again, this.turns, this.select);
  }

  /**
   * Decides and stores a batch's links (in stream order), then stores the
   * masters of their groups as read back after that write, so that of two
   * replicas resolving one group at once, the later sees both's links.
   * Returns the decisions. Throws when storage fails.
   */
  async resolve(links: readonly NewLink[]): Promise<Decisions> {
    const seeds = links.flatMap((l) => [l.left, l.right]);
    const resolvedAt = toDateTime64(new Date());
    const { before, decided } = await this.decideInTurn(seeds, links, resolvedAt);

    // Reading from every id already known takes one step unless another replica linked new ids meanwhile.
    const stored = await groupLinks(this.select, this.database, new Set([...seeds, ...before.flatMap((l) => [l.left, l.right])]));
    const profiles = new Set(
      stored
        .flatMap((l) => [l.left, l.right])
        .map(profileIdOf)
        .filter((id): id is string => id !== undefined),
    );
    const masters = mastersToWrite(stored, seeds, await storedMasters(this.select, this.database, profiles));
    await this.writer.writeAll(
      masters.map((m) =>
        objectRow(
          0,
          'profile_masters',
          { profile_id: m.profileId, master_id: m.masterId, version: m.version, group_size: m.groupSize, last_link_event_id: m.lastLinkEventId, resolved_at: resolvedAt },
          `${m.profileId}\u0000${m.masterId}\u0000${m.version}`,
        ),
      ),
    );
    return decided;
  }

  /**
   * Reads the groups around `seeds`, decides `links` and stores the
   * decisions, one batch at a time in this process. Its identify and alias
   * consumers resolve side by side, and two batches decided on one view
   * could each pass a check that they fail together: an identify and an
   * alias that join two identified persons through a new user id.
   */
  private decideInTurn(seeds: readonly IdentityNode[], links: readonly NewLink[], resolvedAt: string): Promise<{ before: StoredLink[]; decided: Decisions }> {
    return this.turns.run(async () => {
      const before = await groupLinks(this.select, this.database, seeds);
      const decided = decide(before, links, this.rules, this.again);
      await this.writer.writeAll(decided.decisions.map((d) => linkRow(d, resolvedAt)));
      return { before, decided };
    });
  }
}

const linkRow = ({ link, effect, reason, masterId, groupSize }: LinkDecision, resolvedAt: string): PendingRow =>
  objectRow(link.seq, 'identity_links', {
    source_id: link.sourceId,
    event_id: link.eventId,
    call: link.call,
    left_node: link.left,
    right_node: link.right,
    original_timestamp: link.originalTimestamp,
    stream_seq: link.seq,
    effect,
    reason,
    master_id: masterId,
    group_size: groupSize,
    resolved_at: resolvedAt,
  });
