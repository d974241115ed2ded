/**
 * Identity stitching with the real nats-server and ClickHouse engine: two
 * devices identified as one user share a master id and their events (those
 * before the identify too) are found by it; a trusted alias that joins two
 * users gives them the profile first on the stream as master, whatever the
 * producers' timestamps and the delivery order; redelivery and a full replay
 * change nothing; the group-size cap stops a runaway alias chain and says
 * why; product records take no part. What a write key cannot do is in
 * identity-safeguards.test.ts, the upgrade's rebuild in identity-upgrade.test.ts.
 */
import type { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { count, select } from '../../helpers/clickhouse';
import { alias, at, deliverEach, identify, ids, mastersOf as mastersOfIn, track } from '../../helpers/identity-records';
import { sourcesOf } from '../../helpers/identity-store';
import { drained, SinkHarness } from '../../helpers/sink-harness';

const CAP = 5;
/** The source whose links may merge two identified persons. */
const TRUSTED = 'server';
let harness: SinkHarness;
beforeAll(async () => {
  harness = await SinkHarness.create({ identityMaxGroup: String(CAP) }, true, sourcesOf([TRUSTED]));
});
afterAll(async () => {
  await harness.close();
});

const deliverFrom = (sourceId: string | undefined, ...groups: Record[][]) => deliverEach(harness, sourceId, ...groups);
const deliver = (...groups: Record[][]) => deliverEach(harness, undefined, ...groups);
const mastersOf = (profileIds: string[]) => mastersOfIn(harness, profileIds);

it('gives two devices identified as one user one master id, and finds both devices events by it, those before the identify too', async () => {
  const id = ids();
  const [phone, laptop, ada] = [id('phone'), id('laptop'), id('ada')];
  await deliver(
    [track(id('p1'), phone, 1), track(id('p2'), phone, 2), track(id('l1'), laptop, 3)],
    [identify(id('ip'), phone, ada, 10)],
    [track(id('l2'), laptop, 11), identify(id('il'), laptop, ada, 12)],
  );

  expect(await mastersOf([phone, laptop])).toEqual([
    { profile_id: laptop, master_id: phone },
    { profile_id: phone, master_id: phone },
  ]);
  const events = await select<{ event_id: string; profile_id: string }>(
    harness.clickhouse,
    `SELECT event_id, profile_id FROM ${harness.table('events_stitched')} WHERE master_id = '${phone}' ORDER BY original_timestamp`,
  );
  expect(events).toEqual([
    { event_id: id('p1'), profile_id: phone },
    { event_id: id('p2'), profile_id: phone },
    { event_id: id('l1'), profile_id: laptop },
    { event_id: id('ip'), profile_id: phone },
    { event_id: id('l2'), profile_id: laptop },
    { event_id: id('il'), profile_id: laptop },
  ]);
  const links = await select<{ event_id: string; effect: string; master_id: string; group_size: number }>(
    harness.clickhouse,
    `SELECT event_id, effect, master_id, group_size FROM ${harness.table('identity_links')} FINAL WHERE event_id IN ('${id('ip')}', '${id('il')}') ORDER BY stream_seq`,
  );
  expect(links).toEqual([
    { event_id: id('ip'), effect: 'linked', master_id: phone, group_size: 2 },
    { event_id: id('il'), effect: 'linked', master_id: phone, group_size: 3 },
  ]);
});

it('gives two users joined by a trusted alias the profile first on the stream as master, whatever the producers timestamps and the order of delivery', async () => {
  const outcomes: string[] = [];
  for (const order of ['identifies first', 'alias first', 'alias between'] as const) {
    const id = ids();
    // The early profile's identify claims the earlier time, but the late one's always reaches the stream first.
    const [early, late] = [identify(id('e'), id('p_early'), id('u_early'), 1), identify(id('l'), id('p_late'), id('u_late'), 2)];
    const join = alias(id('a'), id('p_late'), id('u_late'), id('u_early'), 3);
    const groups = { 'identifies first': [[late], [early], [join]], 'alias first': [[join], [late], [early]], 'alias between': [[late], [join], [early]] }[order];
    await deliverFrom(TRUSTED, ...groups);
    const masters = await mastersOf([id('p_early'), id('p_late')]);
    outcomes.push(masters.map((m) => `${m.profile_id.replace(/_[0-9a-f]+$/, '')}->${m.master_id.replace(/_[0-9a-f]+$/, '')}`).join(' '));
  }
  expect(outcomes).toEqual(['p_early->p_late p_late->p_late', 'p_early->p_late p_late->p_late', 'p_early->p_late p_late->p_late']);
});

it('changes no master id, link or master row when events are redelivered or the whole stream is replayed', async () => {
  const id = ids();
  const records = [identify(id('i1'), id('p1'), id('u'), 1), identify(id('i2'), id('p2'), id('u'), 2), alias(id('a'), id('p2'), id('u'), id('u2'), 3)];
  await deliver(records);
  const snapshot = async () => ({
    masters: await select(harness.clickhouse, `SELECT profile_id, master_id, version FROM ${harness.table('profile_masters_current')} ORDER BY profile_id`),
    masterRows: await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('profile_masters')}`),
    links: await select(harness.clickhouse, `SELECT event_id, effect, master_id, group_size, resolved_at FROM ${harness.table('identity_links')} FINAL ORDER BY event_id`),
  });
  const before = await snapshot();
  expect(before.masters.length).toBeGreaterThan(1);

  await harness.publish(records, { msgIdSuffix: '#redelivered' });
  await drained(harness);
  expect(await snapshot()).toEqual(before);

  await harness.identity?.stop();
  for (const consumer of harness.identityConsumers) await harness.jsm.consumers.delete(harness.config.stream, consumer);
  await harness.startIdentity();
  await drained(harness);
  const floors = await Promise.all(harness.identityConsumers.map(async (consumer) => (await harness.consumerState(consumer)).ackFloor));
  expect(Math.max(...floors)).toBeGreaterThan(records.length);
  expect(await snapshot()).toEqual(before);
});

it('stops a runaway alias chain at the group-size cap, storing the events and setting the refused links aside with the reason', async () => {
  const id = ids();
  const [profile, hub] = [id('p'), id('hub')];
  const chain = Array.from({ length: 8 }, (_, i) => alias(id(`a${i}`), profile, hub, id(`u${i}`), 2 + i));
  // Identify and alias have consumers of their own, so which links the cap refuses follows the order they are resolved in: identify first here.
  await deliver([identify(id('i'), profile, hub, 1)], chain);

  const refused = await select<{ event_id: string; reason: string }>(
    harness.clickhouse,
    `SELECT event_id, reason FROM ${harness.table('identity_links')} FINAL WHERE left_node = 'user:${hub}' AND effect = 'refused' ORDER BY stream_seq`,
  );
  expect(refused.map((r) => r.event_id)).toEqual([3, 4, 5, 6, 7].map((i) => id(`a${i}`)));
  expect(refused[0].reason).toBe(`group-size cap: linking user:${hub} (a group of 5) and user:${id('u3')} (a group of 1) would make a group of 6 ids; TRIBUTARY_IDENTITY_MAX_GROUP is ${CAP}`);
  expect(await select(harness.clickhouse, `SELECT master_id, group_size FROM ${harness.table('profile_masters_current')} WHERE profile_id = '${profile}'`)).toEqual([
    { master_id: profile, group_size: CAP },
  ]);

  const letters = await select<{ reason: string; error: string }>(
    harness.clickhouse,
    `SELECT reason, error FROM ${harness.table('dead_letters')} FINAL WHERE error LIKE '%user:${hub}%' ORDER BY stream_seq`,
  );
  expect(letters).toHaveLength(5);
  expect(letters.every((l) => l.reason === 'IDENTITY_LINK_REFUSED' && l.error.startsWith('group-size cap: '))).toBe(true);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events_final')} WHERE profile_id = '${profile}'`)).toBe(9);
});

it('creates no profile and no link from product records that carry profile and user ids', async () => {
  const id = ids();
  const products: Record[] = [1, 2, 3].map((i) => ({
    eventId: id(`prod${i}`),
    timestamp: at(i),
    kind: {
      $case: 'product',
      value: {
        productId: id(`sku${i}`),
        profileId: id('shopper'),
        userId: id('buyer'),
        title: 'Merlot',
        description: '',
        url: '',
        imageLink: '',
        currency: '',
        brand: '',
        category: '',
        tags: [],
        availability: 0,
      },
    },
  }));
  await deliver(products);

  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('products_final')} WHERE profile_id = '${id('shopper')}'`)).toBe(3);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('identity_edges')} WHERE node IN ('profile:${id('shopper')}', 'user:${id('buyer')}')`)).toBe(0);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('profile_masters')} WHERE profile_id = '${id('shopper')}'`)).toBe(0);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('profiles_current')} WHERE profile_id = '${id('shopper')}'`)).toBe(0);
});
