/**
 * What a write key cannot do to identity, with the real nats-server and
 * ClickHouse engine: a backdated identify sent after Ada's does not make the
 * attacker's profile her master; a link that would merge two persons
 * identified under different user ids is refused and set aside as a dead
 * letter, even when an identify and an alias try it side by side, unless it
 * comes from a trusted source; and a source with an identity secret links an
 * identify only when its user_hash verifies, while storing every event and
 * no user_hash.
 */
import { createHmac } from 'node:crypto';
import { count, select } from '../../helpers/clickhouse';
import { alias, deliverEach, identify, ids, linksOf, mastersOf } from '../../helpers/identity-records';
import { sourcesOf } from '../../helpers/identity-store';
import { SinkHarness } from '../../helpers/sink-harness';

/** A trusted server's source, a verifying app's source and its secret; the default source is neither. */
const [SERVER, APP, SECRET] = ['server', 'app', 'app-identity-secret'];
let harness: SinkHarness;
beforeAll(async () => {
  harness = await SinkHarness.create({}, true, sourcesOf([SERVER], { [APP]: SECRET }));
});
afterAll(async () => {
  await harness.close();
});

const userHash = (userId: string) => createHmac('sha256', SECRET).update(userId).digest('hex');

/** The dead letters whose error names one of `ids`, in stream order. */
const lettersNaming = (nodes: readonly string[]) =>
  select<{ reason: string; error: string }>(
    harness.clickhouse,
    `SELECT reason, error FROM ${harness.table('dead_letters')} FINAL WHERE ${nodes.map((n) => `position(error, '${n}') > 0`).join(' OR ')} ORDER BY stream_seq`,
  );

it("keeps Ada's profile master when an attacker's identify backdated to 2001 arrives after hers", async () => {
  const id = ids();
  const [adaPhone, attacker, ada] = [id('ada_phone'), id('attacker_prof'), `${id('ada')}@example.com`];
  await deliverEach(harness, undefined, [identify(id('i_ada'), adaPhone, ada, 5)], [identify(id('i_attack'), attacker, ada, new Date('2001-01-01T00:00:00Z'))]);

  expect(await mastersOf(harness, [adaPhone, attacker])).toEqual([
    { profile_id: adaPhone, master_id: adaPhone },
    { profile_id: attacker, master_id: adaPhone },
  ]);
  expect(await select(harness.clickhouse, `SELECT original_timestamp FROM ${harness.table('identity_links')} FINAL WHERE event_id = '${id('i_attack')}'`)).toEqual([
    { original_timestamp: '2001-01-01 00:00:00.000' },
  ]);
});

describe('two persons identified under different user ids', () => {
  /** Ada and Bob, each a profile identified as a user; returns the test's names. */
  async function twoPersons() {
    const id = ids();
    const names = { pAda: id('p_ada'), pBob: id('p_bob'), ada: id('ada'), bob: id('bob'), id };
    await deliverEach(harness, undefined, [identify(id('i_ada'), names.pAda, names.ada, 1)], [identify(id('i_bob'), names.pBob, names.bob, 2)]);
    return names;
  }

  it('are not merged by an alias or an identify from an untrusted source, which go to the dead letters with the reason', async () => {
    const { pAda, pBob, ada, bob, id } = await twoPersons();
    await deliverEach(harness, undefined, [alias(id('a'), pBob, bob, ada, 3)], [identify(id('i'), pBob, ada, 4)]);

    const links = await linksOf(harness, [id('a'), id('i')]);
    expect(links.map((l) => l.effect)).toEqual(['refused', 'refused']);
    expect(links[0].reason).toBe(
      `two identified persons: linking user:${bob} (a group of 2, known as user:${bob}) and user:${ada} (a group of 2, known as user:${ada}) would merge persons known under different user ids; only a trusted source may`,
    );
    expect(await mastersOf(harness, [pAda, pBob])).toEqual([
      { profile_id: pAda, master_id: pAda },
      { profile_id: pBob, master_id: pBob },
    ]);
    const letters = await lettersNaming([`user:${bob}`]);
    expect(letters).toHaveLength(2);
    expect(letters.every((l) => l.reason === 'IDENTITY_LINK_REFUSED' && l.error.startsWith('two identified persons: '))).toBe(true);
  });

  it('are not merged through a new user id by an identify and an alias resolved side by side', async () => {
    const { pAda, pBob, ada, id } = await twoPersons();
    const bridge = id('bridge');
    // One request: the identify and the alias consumers take them at once.
    await deliverEach(harness, undefined, [identify(id('i'), pBob, bridge, 3), alias(id('a'), pAda, bridge, ada, 4)]);

    const links = await linksOf(harness, [id('i'), id('a')]);
    expect(links.map((l) => l.effect).sort()).toEqual(['linked', 'refused']);
    expect(links.find((l) => l.effect === 'refused')?.reason).toMatch(/^two identified persons: /);
    expect(await mastersOf(harness, [pAda, pBob])).toEqual([
      { profile_id: pAda, master_id: pAda },
      { profile_id: pBob, master_id: pBob },
    ]);
  });

  it('may take a user id no profile has yet, and are merged by a trusted source under the profile first on the stream', async () => {
    const { pAda, pBob, ada, bob, id } = await twoPersons();
    await deliverEach(harness, undefined, [alias(id('old'), pAda, ada, id('ada_old_email'), 3)]);
    await deliverEach(harness, SERVER, [alias(id('a'), pBob, bob, ada, 4)]);

    expect((await linksOf(harness, [id('old'), id('a')])).map((l) => l.effect)).toEqual(['linked', 'merged']);
    expect(await mastersOf(harness, [pAda, pBob])).toEqual([
      { profile_id: pAda, master_id: pAda },
      { profile_id: pBob, master_id: pAda },
    ]);
  });
});

describe('a source with an identity secret', () => {
  it('links an identify whose user_hash verifies, and nothing for a wrong or missing one, storing every event and no user_hash', async () => {
    const id = ids();
    const [good, bad, none] = [id('p_good'), id('p_bad'), id('p_none')];
    const user = id('ada');
    await deliverEach(harness, APP, [identify(id('good'), good, user, 1, userHash(user)), identify(id('bad'), bad, user, 2, userHash(`${user}x`)), identify(id('none'), none, user, 3)]);

    const links = await linksOf(harness, [id('good'), id('bad'), id('none')]);
    expect(links.map((l) => [l.event_id, l.effect])).toEqual([
      [id('good'), 'linked'],
      [id('bad'), 'refused'],
      [id('none'), 'refused'],
    ]);
    expect(links[1].reason).toMatch(/^identity verification failed: /);
    expect(links[2].reason).toMatch(/^identity verification failed: .*carries no user_hash$/);
    expect(await mastersOf(harness, [good, bad, none])).toEqual([{ profile_id: good, master_id: good }]);
    expect(await lettersNaming([`profile:${bad}`, `profile:${none}`])).toEqual([
      { reason: 'IDENTITY_LINK_REFUSED', error: links[1].reason },
      { reason: 'IDENTITY_LINK_REFUSED', error: links[2].reason },
    ]);

    const events = await select<{ [column: string]: unknown }>(harness.clickhouse, `SELECT * FROM ${harness.table('events_final')} WHERE user_id = '${user}' ORDER BY stream_seq`);
    expect(events.map((e) => e.profile_id)).toEqual([good, bad, none]);
    expect(JSON.stringify(events)).not.toContain(userHash(user));
  });

  it('asks nothing of identifies from other sources', async () => {
    const id = ids();
    await deliverEach(harness, undefined, [identify(id('i'), id('p'), id('u'), 1)]);
    expect((await linksOf(harness, [id('i')])).map((l) => l.effect)).toEqual(['linked']);
    expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('profile_masters_current')} WHERE profile_id = '${id('p')}'`)).toBe(1);
  });
});
