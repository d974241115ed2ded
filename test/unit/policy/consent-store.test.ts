/**
 * The flat stores of the ledger: the hashed-id table and the consent store
 * behave as a Map of merged entries would, through growth, removals and
 * reuse, and let go of every category and source no decision names.
 */
import fc from 'fast-check';
import { latest, mergeEntry, type ConsentEntry, type Decision } from '../../../src/policy/consent';
import { ConsentStore } from '../../../src/policy/consent-store';
import { HashedIdTable } from '../../../src/policy/hashed-id-table';
import { IdHasher } from '../../../src/policy/id-hash';

const hasher = new IdHasher('salt');

it('keeps hashed ids as a Map would, through growth and removal', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), { maxLength: 6000 }), (ops) => {
      const table = new HashedIdTable();
      const model = new Map<string, number>();
      ops.forEach(([put, n], step) => {
        const key = hasher.binary(`id-${n}`);
        if (put) {
          table.set(key, step);
          model.set(key, step);
        } else {
          expect(table.delete(key)).toBe(model.get(key));
          model.delete(key);
        }
      });
      expect(table.size).toBe(model.size);
      for (let n = 0; n <= 3000; n++) expect(table.get(hasher.binary(`id-${n}`))).toBe(model.get(hasher.binary(`id-${n}`)));
    }),
    { numRuns: 20 },
  );
});

it('merges and forgets decisions as a Map of merged entries would, and lets labels go', () => {
  const decision = fc.record({
    category: fc.constantFrom('analytics', 'marketing', 'general'),
    accept: fc.boolean(),
    decidedAt: fc.integer({ min: 0, max: 50 }),
    validUntil: fc.integer({ min: 0, max: 100 }),
    source: fc.constantFrom('banner', 'api', 'ada@example.com'),
  });
  const op = fc.oneof(fc.record({ id: fc.integer({ min: 0, max: 40 }), decisions: fc.array(decision, { minLength: 1, maxLength: 3 }) }), fc.record({ id: fc.integer({ min: 0, max: 40 }) }));
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const store = new ConsentStore();
      const model = new Map<string, ConsentEntry>();
      for (const o of ops) {
        const key = hasher.binary(`id-${o.id}`);
        if ('decisions' in o) {
          store.merge(key, o.decisions as Decision[]);
          model.set(key, mergeEntry(model.get(key), o.decisions as Decision[]));
        } else {
          store.delete(key);
          model.delete(key);
        }
      }
      expect(store.size).toBe(model.size);
      const sorted = (entry: ConsentEntry | undefined) => (entry === undefined ? undefined : [...entry].sort((a, b) => a.category.localeCompare(b.category)));
      for (let n = 0; n <= 40; n++) expect(sorted(store.get(hasher.binary(`id-${n}`)))).toEqual(sorted(model.get(hasher.binary(`id-${n}`))));
      for (let n = 0; n <= 40; n++) expect(store.has(hasher.binary(`id-${n}`))).toBe(model.has(hasher.binary(`id-${n}`)));
      // The gateway's lookup, across two ids of a person, agrees with the entries' merge.
      const pair = [hasher.binary('id-1'), hasher.binary('id-2')];
      for (const category of ['analytics', 'marketing', 'general'])
        expect(store.latest(pair, category)).toEqual(
          latest(
            pair.map((key) => model.get(key)),
            category,
          ),
        );
      for (let n = 0; n <= 40; n++) store.delete(hasher.binary(`id-${n}`));
      expect([store.size, store.labels]).toEqual([0, 0]);
    }),
    { numRuns: 200 },
  );
});

it('rebuilds its slots when removed keys fill them, and refuses what is not a hashed id', () => {
  const table = new HashedIdTable();
  for (let round = 0; round < 20; round++) {
    const keys = Array.from({ length: 500 }, (_, i) => hasher.binary(`round-${round}-${i}`));
    keys.forEach((key, i) => table.set(key, i));
    expect(keys.map((key) => table.get(key))).toEqual(keys.map((_, i) => i));
    for (const key of keys) table.delete(key);
    expect([table.size, table.get(keys[0])]).toEqual([0, undefined]);
  }
  const key = hasher.binary('x');
  table.set(key, 7);
  expect([table.get(`${key}!`), table.delete(`${key}!`), table.get(key)]).toEqual([undefined, undefined, 7]);
  expect(() => table.set('short', 1)).toThrow(/32 bytes/);
  expect(() => table.set(key, -1)).toThrow(/0 to 2\^31/);
});

it('grows its pool past its first size, reuses what was removed, and holds no entry for no decisions', () => {
  const store = new ConsentStore();
  const decision = (n: number): Decision => ({ category: n % 2 === 0 ? 'analytics' : 'marketing', accept: n % 3 !== 0, decidedAt: n, validUntil: n + 10, source: `s${n % 5}` });
  for (let n = 0; n < 5000; n++) store.merge(hasher.binary(`id-${n}`), [decision(n), decision(n + 1)]);
  for (let n = 0; n < 5000; n += 2) store.delete(hasher.binary(`id-${n}`));
  for (let n = 0; n < 5000; n += 2) store.merge(hasher.binary(`id-${n}`), [decision(n + 7)]);
  for (const n of [0, 1, 2498, 4999]) {
    const expected = n % 2 === 0 ? [decision(n + 7)] : [decision(n), decision(n + 1)];
    expect(store.get(hasher.binary(`id-${n}`))).toEqual(expected);
  }
  expect(store.size).toBe(5000);
  store.merge(hasher.binary('nobody'), []);
  expect([store.size, store.get(hasher.binary('nobody'))]).toEqual([5000, undefined]);
});
