// The ids by which a record names its person, which the ledger checks.
import { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { personIds } from '../../../src/policy/person-ids';
import { IdHasher } from '../../../src/policy/id-hash';

describe('personIds', () => {
  it("names an event's profile and user ids once each", () => {
    const record = Record.fromPartial({ eventId: 'e', kind: { $case: 'event', value: { profileId: 'p1', userId: 'u1', call: { $case: 'track', value: { name: 'x' } } } } });
    expect(personIds(record)).toEqual(['p1', 'u1']);
    const same = Record.fromPartial({ eventId: 'e', kind: { $case: 'event', value: { profileId: 'a', userId: 'a' } } });
    expect(personIds(same)).toEqual(['a']);
  });

  it("adds an alias's other user id and a consent's email", () => {
    const alias = Record.fromPartial({ eventId: 'e', kind: { $case: 'event', value: { profileId: 'p', userId: 'u', call: { $case: 'alias', value: { anotherUserId: 'u2' } } } } });
    expect(personIds(alias)).toEqual(['p', 'u', 'u2']);
    const consent = Record.fromPartial({ eventId: 'e', kind: { $case: 'event', value: { profileId: 'p', call: { $case: 'consent', value: { email: 'a@b.c' } } } } });
    expect(personIds(consent)).toEqual(['p', 'a@b.c']);
  });

  it('names nobody for a product record', () => {
    expect(personIds(Record.fromPartial({ eventId: 'e', kind: { $case: 'product', value: { productId: 'x', profileId: 'p', userId: 'u' } } }))).toEqual([]);
  });
});

describe('IdHasher', () => {
  it('gives the hex SHA-256 of the salt and the id, as ClickHouse computes it', () => {
    // printf saltbob | sha256sum
    expect(new IdHasher('salt').of('bob')).toBe('07a2341cc0c47680c9c518fc4c5b003d2ab75b2d45d15f933224621584f69b6a');
  });
});
