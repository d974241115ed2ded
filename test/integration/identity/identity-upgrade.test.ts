/**
 * The upgrade to masters by arrival, with the real nats-server and
 * ClickHouse engine, as docs/identity.md gives it. Identity tables as the
 * previous version left them (masters by the producers' timestamps, so the
 * profile of a backdated attacker who identified as Ada after identifying as
 * himself is the master of both) are rebuilt: resetting the stage's
 * consumers makes every replayed group's master the profile first on the
 * stream, keeping the links' decisions; truncating identity_links,
 * identity_edges and profile_masters as well decides every link again, and
 * the merge of the two persons is refused. Only identifies take part, so
 * one consumer resolves every link, in stream order.
 */
import { count, select } from '../../helpers/clickhouse';
import { identify, ids, linksOf, mastersOf } from '../../helpers/identity-records';
import { drained, SinkHarness } from '../../helpers/sink-harness';

const SOURCE = 'web';
let harness: SinkHarness;
beforeAll(async () => {
  // The identity stage starts only as the upgraded version.
  harness = await SinkHarness.create({}, false);
  await harness.startSink();
});
afterAll(async () => {
  await harness.close();
});

/** Inserts rows into a table of the test's database, as JSONEachRow. */
const insert = (table: string, rows: object[]) => harness.clickhouse.insert({ table: harness.table(table), values: rows, format: 'JSONEachRow' });

it('re-derives masters by arrival when the consumers are reset, and decides every link again once the decisions are truncated too', async () => {
  const id = ids();
  const [pAda, pAtt, ada, mallory] = [id('p_ada'), id('p_attacker'), id('ada'), id('mallory')];
  const backdated = new Date('2001-01-01T00:00:00Z');
  const acks = await harness.publish([identify(id('i_ada'), pAda, ada, 5), identify(id('i_att'), pAtt, mallory, backdated), identify(id('i_take'), pAtt, ada, backdated)], { sourceId: SOURCE });
  await drained(harness);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events_final')} WHERE user_id IN ('${ada}', '${mallory}')`)).toBe(3);

  // What the previous version wrote: the last identify merged both persons, and the earliest producer timestamp made the attacker master.
  const link = (eventId: string, left: string, right: string, at: string, seq: number, effect: string, master: string, size: number) => ({
    source_id: SOURCE,
    event_id: eventId,
    call: 'identify',
    left_node: left,
    right_node: right,
    original_timestamp: at,
    stream_seq: seq,
    effect,
    reason: '',
    master_id: master,
    group_size: size,
    resolved_at: '2026-11-20 10:07:00.000',
  });
  await insert('identity_links', [
    link(id('i_ada'), `profile:${pAda}`, `user:${ada}`, '2026-11-20 10:05:00.000', acks[0].seq, 'linked', pAda, 2),
    link(id('i_att'), `profile:${pAtt}`, `user:${mallory}`, '2001-01-01 00:00:00.000', acks[1].seq, 'linked', pAtt, 2),
    link(id('i_take'), `profile:${pAtt}`, `user:${ada}`, '2001-01-01 00:00:00.000', acks[2].seq, 'merged', pAtt, 4),
  ]);
  const master = (profileId: string) => ({ profile_id: profileId, master_id: pAtt, version: 3, group_size: 4, last_link_event_id: id('i_take'), resolved_at: '2026-11-20 10:07:00.000' });
  await insert('profile_masters', [master(pAda), master(pAtt)]);
  expect(await mastersOf(harness, [pAda, pAtt])).toEqual([
    { profile_id: pAda, master_id: pAtt },
    { profile_id: pAtt, master_id: pAtt },
  ]);

  // Reset the consumers: the stage makes them anew, from the start of the stream, as after `nats consumer rm`.
  await harness.startIdentity();
  await drained(harness);
  expect(await mastersOf(harness, [pAda, pAtt])).toEqual([
    { profile_id: pAda, master_id: pAda },
    { profile_id: pAtt, master_id: pAda },
  ]);
  expect((await linksOf(harness, [id('i_take')])).map((l) => l.effect)).toEqual(['merged']);

  // Forget the decisions too: stop, delete both consumers, truncate the three tables, start.
  await harness.identity?.stop();
  for (const consumer of harness.identityConsumers) await harness.jsm.consumers.delete(harness.config.stream, consumer);
  for (const table of ['identity_links', 'identity_edges', 'profile_masters']) await harness.clickhouse.command({ query: `TRUNCATE TABLE ${harness.table(table)}` });
  await harness.startIdentity();
  await drained(harness);

  expect(await mastersOf(harness, [pAda, pAtt])).toEqual([
    { profile_id: pAda, master_id: pAda },
    { profile_id: pAtt, master_id: pAtt },
  ]);
  const links = await linksOf(harness, [id('i_ada'), id('i_att'), id('i_take')]);
  expect(links.map((l) => l.effect)).toEqual(['linked', 'linked', 'refused']);
  expect(links[2].reason).toMatch(/^two identified persons: /);
  expect(await select(harness.clickhouse, `SELECT reason FROM ${harness.table('dead_letters')} FINAL WHERE position(error, 'profile:${pAtt}') > 0`)).toEqual([{ reason: 'IDENTITY_LINK_REFUSED' }]);
});
