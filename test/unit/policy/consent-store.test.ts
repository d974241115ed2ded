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
