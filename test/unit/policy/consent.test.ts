/**
 * Consent merging and verdicts: the later decision by its own timestamp
 * wins whatever the order decisions arrive in and whichever of a person's
 * ids they name, and a policy's verdict equals a plain reference function
 * of the decisions sorted by time (the property test).
 */
import fc from 'fast-check';
import type { ConsentPolicy } from '../../../src/config/source-settings';
import { formatEntry, latest, mergeEntry, parseEntry, verdictOf, type ConsentEntry, type ConsentVerdict, type Decision } from '../../../src/policy/consent';

const decision = (category: string, accept: boolean, decidedAt: number, validUntil = Number.MAX_SAFE_INTEGER, source = 'banner'): Decision => ({ category, accept, decidedAt, validUntil, source });
const optIn: ConsentPolicy = { mode: 'opt_in', categories: ['analytics'] };
const optOut: ConsentPolicy = { mode: 'opt_out', categories: ['analytics'] };

it('keeps the later decision of each category, whatever came first', () => {
  const older = decision('analytics', false, 1000);
  const newer = decision('analytics', true, 2000);
  const other = decision('marketing', false, 500);
  expect(mergeEntry(mergeEntry(undefined, [newer]), [older, other])).toEqual([newer, other]);
  expect(mergeEntry(mergeEntry(undefined, [older, other]), [newer])).toEqual([other, newer]);
  // Ties: a reject, then the later valid_until, then the greater source.
  expect(latest([[decision('analytics', true, 1000)], [decision('analytics', false, 1000)]], 'analytics')?.accept).toBe(false);
  expect(latest([[decision('analytics', true, 1000, 5)], [decision('analytics', true, 1000, 9)]], 'analytics')?.validUntil).toBe(9);
  expect(latest([[decision('analytics', true, 1000, 5, 'a')], [decision('analytics', true, 1000, 5, 'b')]], 'analytics')?.source).toBe('b');
});

it('gives back the same entry when nothing wins, so nothing is written', () => {
  const entry = mergeEntry(undefined, [decision('analytics', true, 2000)]);
  expect(mergeEntry(entry, [decision('analytics', false, 1000)])).toBe(entry);
  expect(mergeEntry(entry, [decision('analytics', true, 2000)])).toBe(entry);
});

it('drops what each policy says it drops', () => {
  const now = 10_000;
  const cases: [ConsentPolicy, ConsentEntry[], ConsentVerdict | undefined][] = [
    [optIn, [], 'no_consent'],
    [optOut, [], undefined],
    [optIn, [[decision('analytics', true, 1, now + 1)]], undefined],
    [optIn, [[decision('analytics', true, 1, now)]], 'consent_expired'],
    [optOut, [[decision('analytics', true, 1, now)]], undefined],
    [optIn, [[decision('analytics', false, 1)]], 'consent_rejected'],
    [optOut, [[decision('analytics', false, 1)]], 'consent_rejected'],
    // An accept for another category is no accept for this one.
    [optIn, [[decision('marketing', true, 1)]], 'no_consent'],
    [{ mode: 'opt_in', categories: ['analytics', 'marketing'] }, [[decision('analytics', true, 1)]], 'no_consent'],
    // Of several failing categories, a reject is named first, then an expiry.
    [{ mode: 'opt_in', categories: ['analytics', 'marketing', 'ads'] }, [[decision('marketing', true, 1, now), decision('ads', false, 1)]], 'consent_rejected'],
    [{ mode: 'opt_in', categories: ['analytics', 'marketing'] }, [[decision('marketing', true, 1, now)]], 'consent_expired'],
    // Across a person's ids, the latest decision wins.
    [optIn, [[decision('analytics', false, 1)], [decision('analytics', true, 2)]], undefined],
    [optIn, [[decision('analytics', false, 3)], [decision('analytics', true, 2)]], 'consent_rejected'],
  ];
  for (const [policy, entries, expected] of cases) expect(verdictOf(policy, (category) => latest(entries, category), now)).toBe(expected);
});

it('stores an entry as JSON and reads it back; an entry it cannot read is none', () => {
  const entry = [decision('analytics', true, 1, 2, 'banner'), decision('general', false, 3, 4, 'api')];
  expect(parseEntry(formatEntry(entry))).toEqual(entry);
  expect(parseEntry('{"analytics": true}')).toBeUndefined();
  expect(parseEntry('[{"category": "a", "action": "maybe", "decidedAt": 1, "validUntil": 2, "source": ""}]')).toBeUndefined();
  expect(parseEntry('not json')).toBeUndefined();
});

/**
 * The reference: the decisions sorted by their timestamps (ties as
 * documented), the last of each category decides; of several failing
 * categories, a reject is named first, then an expiry.
 */
function reference(policy: ConsentPolicy, decisions: readonly Decision[], nowMs: number): ConsentVerdict | undefined {
  const rejectLast = (a: Decision, b: Decision) => (a.accept === b.accept ? 0 : a.accept ? -1 : 1);
  const order = (a: Decision, b: Decision) => a.decidedAt - b.decidedAt || rejectLast(a, b) || a.validUntil - b.validUntil || Buffer.compare(Buffer.from(a.source), Buffer.from(b.source));
  const sorted = [...decisions].sort(order);
  const verdicts = policy.categories.map((category) => {
    const last = sorted.filter((d) => d.category === category).at(-1);
    if (last === undefined) return policy.mode === 'opt_in' ? 'no_consent' : undefined;
    if (!last.accept) return 'consent_rejected';
    return nowMs >= last.validUntil && policy.mode === 'opt_in' ? 'consent_expired' : undefined;
  });
  return (['consent_rejected', 'consent_expired', 'no_consent'] as const).find((verdict) => verdicts.includes(verdict));
}

it('gives the verdict of the decisions sorted by time, for any arrival order and whichever of the ids they reached', () => {
  const ids = ['p1', 'p2', 'u1'];
  const arbitraryDecision = fc.record({
    category: fc.constantFrom('analytics', 'marketing'),
    accept: fc.boolean(),
    decidedAt: fc.integer({ min: 0, max: 20 }),
    validUntil: fc.integer({ min: 0, max: 40 }),
    source: fc.constantFrom('banner', 'api', 'é'),
  });
  // Each decision reaches some of the person's ids (the one it names from the gateway, others as the identity stage spreads it), in any order.
  const arrival = fc.array(fc.record({ decision: arbitraryDecision, reached: fc.subarray(ids, { minLength: 1 }) }), { maxLength: 12 }).chain((made) =>
    fc.tuple(
      fc.constant(made),
      fc.shuffledSubarray(
        made.flatMap((m, i) => m.reached.map((id) => ({ i, id }))),
        { minLength: made.reduce((n, m) => n + m.reached.length, 0) },
      ),
    ),
  );
  const policies = fc.record({ mode: fc.constantFrom<'opt_in' | 'opt_out'>('opt_in', 'opt_out'), categories: fc.shuffledSubarray(['analytics', 'marketing'], { minLength: 1 }) });
  fc.assert(
    fc.property(arrival, policies, fc.integer({ min: 0, max: 40 }), fc.subarray(ids, { minLength: 1 }), ([made, spread], policy, now, recordIds) => {
      const ledger = new Map<string, ConsentEntry>();
      for (const { i, id } of spread) ledger.set(id, mergeEntry(ledger.get(id), [made[i].decision]));
      const entries = recordIds.map((id) => ledger.get(id));
      const verdict = verdictOf(policy, (category) => latest(entries, category), now);
      // The reference sees the decisions that reached an id the record names (once spread, every decision of the person).
      const seen = made.filter((m) => m.reached.some((id) => recordIds.includes(id))).map((m) => m.decision);
      expect(verdict).toBe(reference(policy, seen, now));
    }),
    { numRuns: 2000 },
  );
});
