/**
 * What a write key cannot do to identity, as pure rules: a backdated
 * identify does not make its profile a master (masters follow the stream,
 * not the producer's clock); a link that would merge two persons already
 * identified under different user ids is refused unless its source is
 * trusted; and a source with an identity secret links an identify only when
 * its user_hash verifies.
 */
import { verifies } from '../../../src/identity/verification';
import { alias, hmac, identify, sourcesOf, Store } from '../../helpers/identity-store';

describe('masters by arrival', () => {
  it('keeps the first-arrived profile master when a later identify claims an earlier time, whichever is resolved first', () => {
    for (const resolvedFirst of ['ada', 'attacker'] as const) {
      const ada = identify('ada_phone', 'ada@example.com', 'e1', '20');
      const attack = identify('attacker_prof', 'ada@example.com', 'e2', '21', { originalTimestamp: '2001-01-01 00:00:00.000' });
      const store = new Store();
      for (const link of resolvedFirst === 'ada' ? [ada, attack] : [attack, ada]) store.batch([link]);
      expect([store.masterOf('ada_phone'), store.masterOf('attacker_prof')]).toEqual(['ada_phone', 'ada_phone']);
    }
  });
});

describe('two identified persons', () => {
  /** Ada and Bob, each a profile identified under a user id, in a store. */
  const persons = () => {
    const store = new Store();
    store.batch([identify('p_ada', 'ada', 'e1', '01'), identify('p_bob', 'bob', 'e2', '02')]);
    return store;
  };

  it('refuses an alias and an identify that would merge them, naming both groups, and keeps their masters', () => {
    const store = persons();
    const result = store.batch([alias('bob', 'ada', 'e3', '03'), identify('p_bob', 'ada', 'e4', '04')]);
    expect(result.decisions.map((d) => d.effect)).toEqual(['refused', 'refused']);
    expect(result.refused.map((d) => d.reason)).toEqual([
      'two identified persons: linking user:bob (a group of 2, known as user:bob) and user:ada (a group of 2, known as user:ada) would merge persons known under different user ids; only a trusted source may',
      'two identified persons: linking profile:p_bob (a group of 2, known as user:bob) and user:ada (a group of 2, known as user:ada) would merge persons known under different user ids; only a trusted source may',
    ]);
    expect([store.masterOf('p_ada'), store.masterOf('p_bob')]).toEqual(['p_ada', 'p_bob']);
  });

  it('names a group of several user ids by its first and how many more', () => {
    const store = persons();
    store.batch([alias('ada', 'ada-old', 'e3', '03'), alias('ada', 'ada-crm', 'e4', '04')]);
    const [refused] = store.batch([alias('bob', 'ada-crm', 'e5', '05')]).refused;
    expect(refused.reason).toContain('and user:ada-crm (a group of 4, known as user:ada and 2 more user ids)');
  });

  it('lets a user id no profile has yet join a person, and a lone profile be identified', () => {
    const store = persons();
    const result = store.batch([alias('ada', 'ada-old', 'e3', '03'), identify('p_ada_laptop', 'ada-old', 'e4', '04'), alias('fresh-1', 'fresh-2', 'e5', '05'), alias('fresh-2', 'bob', 'e6', '06')]);
    expect(result.decisions.map((d) => d.effect)).toEqual(['linked', 'linked', 'linked', 'merged']);
    expect([store.masterOf('p_ada_laptop'), store.masterOf('p_bob')]).toEqual(['p_ada', 'p_bob']);
  });

  it('merges them when the link comes from a trusted source, under the profile that arrived first', () => {
    const store = persons();
    const result = store.batch([alias('bob', 'ada', 'e3', '03', { sourceId: 'crm' })], { sources: sourcesOf(['crm']) });
    expect(result.decisions.map((d) => [d.effect, d.masterId, d.groupSize])).toEqual([['merged', 'p_ada', 4]]);
    expect([store.masterOf('p_ada'), store.masterOf('p_bob')]).toEqual(['p_ada', 'p_ada']);
  });
});

describe('identity verification', () => {
  const SECRET = 'app-identity-secret';
  const sources = sourcesOf([], { app: SECRET });
  const fromApp = (profileId: string, userId: string, eventId: string, userHash?: string) => identify(profileId, userId, eventId, '01', { sourceId: 'app', userHash });

  it('links an identify whose user_hash is the HMAC of its user id under the source secret', () => {
    const store = new Store();
    const result = store.batch([fromApp('p1', 'ada', 'e1', hmac(SECRET, 'ada'))], { sources });
    expect(result.decisions.map((d) => d.effect)).toEqual(['linked']);
    expect(store.masterOf('p1')).toBe('p1');
  });

  it('links nothing for an identify with a missing, wrong, other-secret or uppercase user_hash, and says why', () => {
    const store = new Store();
    const hashes = [undefined, 'deadbeef', hmac('another secret', 'ada'), hmac(SECRET, 'bob'), hmac(SECRET, 'ada').toUpperCase()];
    const result = store.batch(
      hashes.map((hash, i) => fromApp(`p${i}`, 'ada', `e${i}`, hash)),
      { sources },
    );
    expect(result.decisions.map((d) => d.effect)).toEqual(['refused', 'refused', 'refused', 'refused', 'refused']);
    expect(result.refused[0].reason).toBe('identity verification failed: source app verifies identities, and the identify of profile:p0 as user:ada carries no user_hash');
    expect(result.refused[1].reason).toBe("identity verification failed: the user_hash of the identify of profile:p1 as user:ada is not the one source app's identity secret gives");
    expect(store.links.filter((l) => l.effect !== 'refused')).toEqual([]);
    expect(store.masters.size).toBe(0);
  });

  it('verifies only identifies of sources with a secret', () => {
    const store = new Store();
    const result = store.batch([identify('p1', 'ada', 'e1', '01', { sourceId: 'web' }), alias('ada', 'ada-old', 'e2', '02', { sourceId: 'app' })], { sources });
    expect(result.decisions.map((d) => d.effect)).toEqual(['linked', 'linked']);
  });

  it('compares hashes of any length without throwing', () => {
    expect(verifies(SECRET, 'ada', hmac(SECRET, 'ada'))).toBe(true);
    expect(verifies(SECRET, 'ada', '')).toBe(false);
    expect(verifies(SECRET, 'ada', `${hmac(SECRET, 'ada')}0`)).toBe(false);
    expect(verifies(SECRET, 'ada', 'é'.repeat(64))).toBe(false);
  });
});
