/**
 * The gateway's checks of one request, on a stand-in for the ledger (its
 * lookups only): suppression before consent, consent and product records
 * never gated, decisions of earlier consent records in force for the
 * records after them, and no hashing when nothing could drop a record.
 */
import type { ConsentPolicy } from '../../../src/config/source-settings';
import { ConsentAction, type Record } from '../../../src/gen/tributary/ingest/v1/record';
import type { ConsentEntry } from '../../../src/policy/consent';
import { ConsentStore } from '../../../src/policy/consent-store';
import { IdHasher } from '../../../src/policy/id-hash';
import type { PolicyLedger } from '../../../src/policy/policy-ledger';
import { RequestGate } from '../../../src/policy/request-gate';

const NOW = Date.UTC(2026, 11, 4);
const optIn: ConsentPolicy = { mode: 'opt_in', categories: ['analytics'] };

/** A ledger's lookups (a real ConsentStore) over `suppressed` ids and `consents` by id, counting the ids it hashes. */
function ledgerOf(suppressed: readonly string[], consents: { [id: string]: ConsentEntry } = {}) {
  const hasher = new IdHasher('salt');
  let hashed = 0;
  const counting = { binary: (id: string) => (hashed++, hasher.binary(id)), of: (id: string) => hasher.of(id) };
  const store = new ConsentStore();
  for (const [id, entry] of Object.entries(consents)) store.merge(hasher.binary(id), entry);
  const ledger = {
    hasher: counting,
    suppressedCount: suppressed.length,
    suppresses: (_source: string, ids: readonly string[]) => ids.some((id) => suppressed.some((s) => hasher.binary(s) === id)),
    latestConsent: (ids: readonly string[], category: string) => store.latest(ids, category),
  } as unknown as PolicyLedger;
  return { ledger, hashed: () => hashed };
}

const event = (profileId: string, call: NonNullable<Extract<Record['kind'], { $case: 'event' }>['value']['call']>, userId = ''): Record => ({
  eventId: 'e',
  timestamp: undefined,
  kind: { $case: 'event', value: { profileId, userId, sessionId: '', accountId: '', pageId: '', context: undefined, call } },
});
const track = (profileId: string, userId = '') => event(profileId, { $case: 'track', value: { name: 'Viewed', data: undefined } }, userId);
const consent = (profileId: string, action: ConsentAction, email = '') =>
  event(profileId, { $case: 'consent', value: { action, category: 'analytics', validUntil: new Date(NOW + 1000), source: 'banner', message: '', email } });
const product: Record = { eventId: 'p', timestamp: undefined, kind: { $case: 'product', value: { productId: 'sku', data: undefined } } } as unknown as Record;

it('drops for suppression first, never gates consent or product records, and drops the undecided at an opt-in source', () => {
  const { ledger } = ledgerOf(['gone']);
  const gate = new RequestGate(ledger, 'web', optIn, NOW);
  expect(gate.verdict(track('gone'))).toBe('suppressed');
  expect(gate.verdict(consent('gone', ConsentAction.ACCEPT))).toBe('suppressed');
  expect(gate.verdict(track('p1'))).toBe('no_consent');
  expect(gate.verdict(consent('p1', ConsentAction.ACCEPT))).toBeUndefined();
  expect(gate.verdict(product)).toBeUndefined();
});

it('applies the ledger and the decisions of earlier consent records in the request, to every id they name', () => {
  const { ledger } = ledgerOf([], { u1: [{ category: 'analytics', accept: true, decidedAt: NOW - 10, validUntil: NOW + 10, source: 'banner' }] });
  const gate = new RequestGate(ledger, 'web', optIn, NOW);
  expect(gate.verdict(track('p9', 'u1'))).toBeUndefined();
  expect(gate.verdict(track('p1'))).toBe('no_consent');
  const made = gate.decide(consent('p1', ConsentAction.ACCEPT, 'ada@example.com'), new Date(NOW - 5));
  expect(made?.hashedIds).toEqual(['p1', 'ada@example.com'].map((id) => new IdHasher('salt').of(id)));
  expect(gate.verdict(track('p1'))).toBeUndefined();
  gate.decide(consent('p1', ConsentAction.REJECT), new Date(NOW - 1));
  expect(gate.verdict(track('p1'))).toBe('consent_rejected');
  // The ledger's accept of u1 is older than the request's reject of p1: for a record naming both, the reject wins.
  expect(gate.verdict(track('p1', 'u1'))).toBe('consent_rejected');
});

it("lets the ledger's later decision win over an older one made earlier in the request", () => {
  const { ledger } = ledgerOf([], { p1: [{ category: 'analytics', accept: false, decidedAt: NOW - 1, validUntil: NOW + 10, source: 'banner' }] });
  const gate = new RequestGate(ledger, 'web', optIn, NOW);
  gate.decide(consent('p1', ConsentAction.ACCEPT), new Date(NOW - 5));
  expect(gate.verdict(track('p1'))).toBe('consent_rejected');
});

it('hashes nothing when no policy and no suppression could drop a record', () => {
  const { ledger, hashed } = ledgerOf([]);
  const gate = new RequestGate(ledger, 'web', undefined, NOW);
  expect([gate.verdict(track('p1', 'u1')), gate.verdict(product)]).toEqual([undefined, undefined]);
  expect(hashed()).toBe(0);
});
