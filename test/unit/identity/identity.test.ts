/**
 * Identity resolution as pure functions: which events link, how groups form,
 * which profile is master whatever the order links are resolved in, what a
 * replay writes, and what the group-size cap refuses. The store is modelled
 * by keeping every decision and master row (test/helpers/identity-store.ts);
 * the integration test uses ClickHouse. The safeguards against a write key
 * taking identities over are in identity-safeguards.test.ts.
 */
import { linkOf, linksOf, nodeOf, profileNode } from '../../../src/identity/links';
import { explain } from '../../../src/identity/explain';
import { decide, mastersToWrite } from '../../../src/identity/resolve';
import type { LinkingEvent } from '../../../src/identity/links';
import { idChunks, IDS_PARAM, inlineIds, sqlString } from '../../../src/storage/id-lists';
import { alias, identify, rules, sourcesOf, Store } from '../../helpers/identity-store';

const permutations = <T>(items: readonly T[]): T[][] =>
  items.length <= 1 ? [[...items]] : items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));

describe('links of events', () => {
  const row = (call: string, fields: Partial<LinkingEvent>): LinkingEvent => ({
    source_id: 'web',
    event_id: `e_${call}`,
    call,
    profile_id: 'p1',
    user_id: '',
    another_user_id: '',
    original_timestamp: '2026-11-01 00:00:00.000',
    stream_seq: 1,
    ...fields,
  });

  it('links a profile to a user on identify, and two users on alias', () => {
    expect(linkOf(row('identify', { user_id: 'ada' }))).toMatchObject({ left: 'profile:p1', right: 'user:ada', call: 'identify' });
    expect(linkOf(row('alias', { user_id: 'ada', another_user_id: 'ada-crm' }))).toMatchObject({ left: 'user:ada', right: 'user:ada-crm', call: 'alias' });
  });

  it('makes no link from other calls, even with a user id', () => {
    expect(linkOf(row('track', { user_id: 'ada' }))).toBeUndefined();
    expect(linkOf(row('page', { user_id: 'ada' }))).toBeUndefined();
  });

  it('keeps stream order and one link per event', () => {
    const rows = [
      row('identify', { user_id: 'b', stream_seq: 9, event_id: 'x' }),
      row('identify', { user_id: 'a', stream_seq: 3, event_id: 'y' }),
      row('identify', { user_id: 'b', stream_seq: 12, event_id: 'x' }),
    ];
    expect(linksOf(rows).map((l) => [l.eventId, l.seq])).toEqual([
      ['y', 3],
      ['x', 9],
    ]);
  });

  it('reads ids given on the command line as profiles unless they name their kind', () => {
    expect([nodeOf('p1'), nodeOf('user:ada'), nodeOf('profile:p2')]).toEqual(['profile:p1', 'user:ada', 'profile:p2']);
  });
});

describe('resolve', () => {
  it('stitches two devices identified as one user under the profile linked first on the stream, whatever the producers clocks say', () => {
    const store = new Store();
    const result = store.batch([identify('phone', 'ada', 'e1', '02'), identify('laptop', 'ada', 'e2', '01')]);
    expect(result.decisions.map((d) => d.effect)).toEqual(['linked', 'linked']);
    expect(store.masterOf('phone')).toBe('phone');
    expect(store.masterOf('laptop')).toBe('phone');
    expect(store.masters.get('laptop')).toMatchObject({ version: 2, groupSize: 3 });
  });

  it('gives the same masters whatever order links of a trusted source are resolved in, one per batch or all in one', () => {
    const links = [identify('p1', 'u1', 'e1', '04'), identify('p2', 'u2', 'e2', '01'), alias('u2', 'u1', 'e3', '02'), identify('p3', 'u2', 'e4', '03')];
    const trusted = { sources: sourcesOf(['web']) };
    const outcomes = new Set<string>();
    for (const order of permutations(links)) {
      const oneByOne = new Store();
      for (const l of order) oneByOne.batch([l], trusted);
      const together = new Store();
      together.batch(order, trusted);
      for (const store of [oneByOne, together]) outcomes.add(JSON.stringify(['p1', 'p2', 'p3'].map((p) => [p, store.masterOf(p), store.masters.get(p)?.version])));
    }
    expect([...outcomes]).toEqual([
      JSON.stringify([
        ['p1', 'p1', 4],
        ['p2', 'p1', 4],
        ['p3', 'p1', 4],
      ]),
    ]);
  });

  it('gives every group its first-arrived profile as master in every order, and refuses the alias only once it would merge two identified persons', () => {
    const [p1, p2, join, p3] = [identify('p1', 'u1', 'e1', '04'), identify('p2', 'u2', 'e2', '01'), alias('u2', 'u1', 'e3', '02'), identify('p3', 'u2', 'e4', '03')];
    const merged = JSON.stringify([
      ['p1', 'p1', 4],
      ['p2', 'p1', 4],
      ['p3', 'p1', 4],
    ]);
    const apart = JSON.stringify([
      ['p1', 'p1', 1],
      ['p2', 'p2', 2],
      ['p3', 'p2', 2],
    ]);
    for (const order of permutations([p1, p2, join, p3])) {
      const before = order.slice(0, order.indexOf(join));
      // u1's group holds a profile once p1 is linked, and u2's once p2 or p3 is.
      const refused = before.includes(p1) && (before.includes(p2) || before.includes(p3));
      for (const batches of [order.map((l) => [l]), [order]]) {
        const store = new Store();
        const effects = batches.flatMap((batch) => store.batch(batch).decisions).filter((d) => d.effect === 'refused');
        expect(effects.map((d) => d.link.eventId)).toEqual(refused ? ['e3'] : []);
        expect(JSON.stringify(['p1', 'p2', 'p3'].map((p) => [p, store.masterOf(p), store.masters.get(p)?.version]))).toBe(refused ? apart : merged);
      }
    }
  });

  it('records a merge of two groups as merged, and a link inside one group as redundant', () => {
    const store = new Store();
    store.batch([identify('p1', 'u1', 'e1', '01'), alias('u2', 'u3', 'e2', '02')]);
    const result = store.batch([alias('u1', 'u2', 'e3', '03'), identify('p1', 'u3', 'e4', '04')]);
    expect(result.decisions.map((d) => [d.link.eventId, d.effect, d.masterId, d.groupSize])).toEqual([
      ['e3', 'merged', 'p1', 4],
      ['e4', 'redundant', 'p1', 4],
    ]);
  });

  it('writes nothing when a batch is delivered again', () => {
    const store = new Store();
    const batch = [identify('p1', 'u1', 'e1', '01'), alias('u1', 'u2', 'e2', '02'), identify('p2', 'u2', 'e3', '03')];
    store.batch(batch);
    const rows = store.rows.length;
    const again = store.batch(batch);
    expect(again).toEqual({ decisions: [], masters: [], refused: [] });
    expect(store.rows.length).toBe(rows);
  });

  it('converges when two replicas resolve links of one group at once, whichever writes its masters last', () => {
    for (const lastWriter of ['stale', 'complete'] as const) {
      const store = new Store();
      store.batch([identify('p1', 'u1', 'e1', '01'), identify('p2', 'u2', 'e2', '02')]);
      const [first, second] = [[alias('u1', 'x', 'e3', '03')], [alias('u2', 'x', 'e4', '04')]];
      // Both decide before either has stored its links.
      const decidedFirst = decide(store.links, first, rules());
      const decidedSecond = decide(store.links, second, rules());
      store.storeLinks(decidedFirst.decisions);
      const staleView = mastersToWrite(
        store.links,
        first.flatMap((l) => [l.left, l.right]),
        store.masters,
      );
      store.storeLinks(decidedSecond.decisions);
      if (lastWriter === 'stale') {
        store.storeMasters(second);
        for (const m of staleView) if (m.version >= (store.masters.get(m.profileId)?.version ?? 0)) store.masters.set(m.profileId, m);
      } else {
        for (const m of staleView) store.masters.set(m.profileId, m);
        store.storeMasters(second);
      }
      expect([store.masterOf('p1'), store.masterOf('p2'), store.masters.get('p2')?.version]).toEqual(['p1', 'p1', 4]);
    }
  });

  it('rewrites the masters of a group whose master rows were lost after its links were stored', () => {
    const store = new Store();
    const batch = [identify('p1', 'u1', 'e1', '01'), identify('p2', 'u1', 'e2', '02')];
    store.batch(batch);
    store.masters.clear();
    expect(store.batch(batch).masters.map((m) => [m.profileId, m.masterId])).toEqual([
      ['p1', 'p1'],
      ['p2', 'p1'],
    ]);
  });

  it('refuses a link that would make a group larger than the cap, says why, and does not walk through it', () => {
    const store = new Store();
    const chain = Array.from({ length: 6 }, (_, i) => alias('hub', `u${i}`, `a${i}`, `0${i + 1}`));
    const result = store.batch([identify('p1', 'hub', 'e0', '01'), ...chain], { maxGroupSize: 5 });
    expect(result.decisions.map((d) => d.effect)).toEqual(['linked', 'linked', 'linked', 'linked', 'refused', 'refused', 'refused']);
    expect(result.refused.map((d) => d.link.eventId)).toEqual(['a3', 'a4', 'a5']);
    expect(result.refused[0].reason).toBe('group-size cap: linking user:hub (a group of 5) and user:u3 (a group of 1) would make a group of 6 ids; TRIBUTARY_IDENTITY_MAX_GROUP is 5');
    expect(store.masters.get('p1')).toMatchObject({ masterId: 'p1', groupSize: 5 });

    const later = store.batch([identify('p9', 'u4', 'e9', '09')], { maxGroupSize: 5 });
    expect(later.decisions.map((d) => [d.effect, d.masterId, d.groupSize])).toEqual([['linked', 'p9', 2]]);
  });

  it('reports a link refused by an earlier delivery again, with its first reason, and decides nothing new', () => {
    const store = new Store();
    const batch = [identify('p1', 'u1', 'e1', '01'), identify('p2', 'u1', 'e2', '02')];
    const first = store.batch(batch, { maxGroupSize: 2 });
    const again = store.batch(batch, { maxGroupSize: 2 });
    expect(again.decisions).toEqual([]);
    expect(again.refused.map((d) => [d.link.eventId, d.reason])).toEqual(first.refused.map((d) => [d.link.eventId, d.reason]));
    expect(again.refused).toHaveLength(1);
  });

  it('decides refused links afresh in a redrive: refused again while the cap stands, applied once it is raised, and the applied decision counts beside the old refusal', () => {
    const store = new Store();
    const [a0, a1, a2] = [0, 1, 2].map((i) => alias('hub', `u${i}`, `a${i}`, `0${i + 2}`));
    const first = store.batch([identify('p1', 'hub', 'e0', '01'), a0, a1, a2], { maxGroupSize: 3 });
    expect(first.refused.map((d) => d.link.eventId)).toEqual(['a1', 'a2']);

    const still = store.batch([a1, a2], { maxGroupSize: 3 }, true);
    expect(still.refused.map((d) => [d.link.eventId, d.reason])).toEqual(first.refused.map((d) => [d.link.eventId, d.reason]));
    expect(store.batch([a1, a2], { maxGroupSize: 3 }).decisions).toEqual([]);

    const fixed = store.batch([a1, a2], { maxGroupSize: 10 }, true);
    expect(fixed.decisions.map((d) => [d.link.eventId, d.effect, d.groupSize])).toEqual([
      ['a1', 'linked', 4],
      ['a2', 'linked', 5],
    ]);
    expect(fixed.refused).toEqual([]);
    // The store holds each link's refusals and its application side by side, as ClickHouse does until it merges them.
    expect(store.links.filter((l) => l.eventId === 'a2').map((l) => l.effect)).toEqual(['refused', 'refused', 'linked']);
    expect(store.masters.get('p1')).toMatchObject({ masterId: 'p1', groupSize: 5 });
    expect(store.batch([identify('p9', 'u2', 'e9', '09')], { maxGroupSize: 10 }).decisions.map((d) => [d.effect, d.masterId, d.groupSize])).toEqual([['linked', 'p1', 6]]);
    // Links applied already are not decided again.
    expect(store.batch([a0, a1], { maxGroupSize: 10 }, true).decisions).toEqual([]);
  });

  it('gives a group of user ids only no master until a profile joins it', () => {
    const store = new Store();
    const result = store.batch([alias('u1', 'u2', 'e1', '01')]);
    expect(result.decisions[0]).toMatchObject({ effect: 'linked', masterId: '', groupSize: 2 });
    expect(result.masters).toEqual([]);
    store.batch([identify('p1', 'u2', 'e2', '02')]);
    expect(store.masterOf('p1')).toBe('p1');
  });
});

describe('explain', () => {
  it('walks from an id to its master, lists the links in stream order and the refused ones apart', () => {
    const store = new Store();
    store.batch([identify('phone', 'ada', 'e1', '02'), identify('laptop', 'ada', 'e2', '01'), alias('ada', 'crm', 'e3', '03'), alias('ada', 'spam', 'e4', '04')], { maxGroupSize: 4 });
    // identity_edges holds each link under both its ids.
    const edges = store.links.flatMap((l) => [l, { ...l, left: l.right, right: l.left }]);
    const e = explain(edges, profileNode('laptop'));
    expect(e).toMatchObject({ masterId: 'phone', version: 3, members: ['profile:laptop', 'profile:phone', 'user:ada', 'user:crm'] });
    expect(e.path.map((l) => [l.left, l.eventId, l.right])).toEqual([
      ['profile:laptop', 'e2', 'user:ada'],
      ['user:ada', 'e1', 'profile:phone'],
    ]);
    // In stream order, not by the producers' timestamps (which put e2 first).
    expect(e.links.map((l) => l.eventId)).toEqual(['e1', 'e2', 'e3']);
    expect(e.refused.map((l) => l.eventId)).toEqual(['e4']);
  });

  it('counts a link a redrive applied, and not its old refusal, while both are stored', () => {
    const store = new Store();
    const [first, link] = [identify('phone', 'ada', 'e1', '01'), alias('ada', 'crm', 'e2', '02')];
    store.batch([first, link], { maxGroupSize: 2 });
    store.batch([link], { maxGroupSize: 5 }, true);
    const edges = store.links.flatMap((l) => [l, { ...l, left: l.right, right: l.left }]);
    const e = explain(edges, profileNode('phone'));
    expect(e.members).toEqual(['profile:phone', 'user:ada', 'user:crm']);
    expect([e.links.map((l) => l.eventId), e.refused]).toEqual([['e1', 'e2'], []]);
  });

  it('explains an id no link names as its own master', () => {
    expect(explain([], profileNode('alone'))).toMatchObject({ members: ['profile:alone'], masterId: 'alone', path: [], links: [] });
  });
});

describe('SQL literals', () => {
  it('escapes quotes and backslashes', () => {
    expect(sqlString(`it's a \\ test`)).toBe(`'it\\'s a \\\\ test'`);
  });

  it('cuts long id lists by their size in bytes', () => {
    expect(idChunks(['a', 'b', 'c'], 10)).toEqual([['a', 'b'], ['c']]);
    expect(idChunks(['a', 'b', 'c'])).toEqual([['a', 'b', 'c']]);
    expect(idChunks([])).toEqual([]);
  });

  it('writes the id list as literals for an endpoint without parameters', () => {
    expect(inlineIds(`SELECT 1 WHERE x IN ${IDS_PARAM}`, ["it's", 'b'])).toBe(`SELECT 1 WHERE x IN ['it\\'s', 'b']`);
  });
});
