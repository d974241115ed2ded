/**
 * The contract's table test: every fixture goes through proto3 JSON parsing,
 * binary encode and decode, and the validator (a fixture given as bytes, through
 * the record decoder), by both of the decoder's paths: the generated decoder
 * with payloads as objects, and the gateway's, which checks payloads on the
 * wire. Valid fixtures must produce no violation; each invalid one exactly
 * the violation it names, the same by either path. The fixtures must also
 * cover every arm of the contract and every reason code.
 */
import { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { decodeRecord, DEFAULT_LIMITS, Reason, validateRecord } from '../../../src/contract';
import { fixtureBytes, invalidFixtures, validFixtures, type InvalidFixture } from '../../helpers/fixtures';
import { withoutPayload } from '../../helpers/records';

const context = { limits: DEFAULT_LIMITS, nowMs: Date.parse('2026-11-26T12:00:00Z'), skewMs: 0 };

/** The violations of a record's bytes: the decoder's when they do not decode, else the validator's; the same by both paths. */
function violationsOfBytes(bytes: Uint8Array) {
  const byPath = [undefined, DEFAULT_LIMITS].map((payloadLimits) => {
    const decoded = decodeRecord(bytes, payloadLimits);
    return 'record' in decoded ? validateRecord(decoded.record, bytes.length, context) : [decoded.violation];
  });
  expect(byPath[1]).toEqual(byPath[0]);
  return byPath[0];
}

/** Parses proto3 JSON, round-trips the record through the binary wire format and validates it. */
function validateThroughTheWire(json: unknown) {
  const parsed = Record.fromJSON(json);
  const bytes = Record.encode(parsed).finish();
  expect(Record.decode(bytes)).toEqual(parsed);
  return violationsOfBytes(bytes);
}

/** An invalid fixture's violations. */
function violationsOf(fixture: InvalidFixture) {
  return fixture.recordBytesBase64 === undefined ? validateThroughTheWire(fixture.record) : violationsOfBytes(fixtureBytes(fixture));
}

const kindOf = (record: Record): string => (record.kind?.$case === 'event' ? (record.kind.value.call?.$case ?? 'none') : (record.kind?.$case ?? 'none'));

describe('valid fixtures', () => {
  const fixtures = validFixtures();

  it.each(fixtures.map((f) => [f.name, f.content]))('%s passes the validator', (_name, json) => {
    expect(validateThroughTheWire(json)).toEqual([]);
  });

  it.each(fixtures.map((f) => [f.name, f.content]))('%s keeps its payload on the wire in the gateway', (_name, json) => {
    const record = Record.fromJSON(json);
    const decoded = decodeRecord(Record.encode(record).finish(), DEFAULT_LIMITS);
    // Where the payload lies comes with the record when it has one (test/unit/plan/plan-check-agreement.test.ts reads it there).
    const carries = JSON.stringify(withoutPayload(record)) !== JSON.stringify(record);
    expect(decoded).toEqual({ record: withoutPayload(record), ...(carries ? { payload: expect.objectContaining({ start: expect.any(Number), end: expect.any(Number) }) } : {}) });
  });

  it('cover every call and the product record', () => {
    const kinds = new Set(fixtures.map((f) => kindOf(Record.fromJSON(f.content))));
    expect([...kinds].sort()).toEqual(['alias', 'consent', 'group', 'identify', 'page', 'product', 'track']);
  });

  it("include the seed page's minimal product payload", () => {
    const seed = { productId: '123', data: { name: 'Wine', amount: 150, quantity: 4 } };
    expect(fixtures.map((f) => (f.content as { product?: unknown }).product)).toContainEqual(seed);
  });
});

describe('invalid fixtures', () => {
  const fixtures = invalidFixtures();

  it.each(fixtures.map((f) => [f.name, f.content]))('%s produces exactly its violation', (_name, fixture) => {
    const violations = violationsOf(fixture);
    expect(violations.map(({ field, reason }) => ({ field, reason }))).toEqual([fixture.expect]);
    expect(violations[0].message).toContain(fixture.expect.field);
  });

  it('exercise every reason code', () => {
    const used = new Set(fixtures.map((f) => f.content.expect.reason));
    expect([...used].sort()).toEqual(Object.values(Reason).sort());
  });
});
