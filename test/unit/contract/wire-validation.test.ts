/**
 * The gateway's validation of payloads on the wire against the object
 * validator, differentially, with fast-check: random records of every
 * payload-carrying kind, their payloads built entry by entry on the wire
 * (repeated keys, entries without a key or a kind, "__proto__", NaN, astral
 * characters, bytes that are not UTF-8, lengths, depths and counts around
 * small random limits), then
 * often corrupted byte by byte. For every input both paths must give the
 * same violations (or the same decoder refusal), and the records they decode
 * must agree but for the payload the wire path leaves on the wire. The seed
 * is fixed (WIRE_SEED replays another); the test also counts that both the
 * wire path and its fallback were taken, so neither side is vacuous. An
 * identify call carries a user_hash beside its payload when labels were drawn
 * for product tags: drawing nothing more keeps the fixed seed's records of
 * every other kind as they were.
 */
import fc from 'fast-check';
import { decodeRecord, DEFAULT_LIMITS, validateRecord, type ValidationLimits } from '../../../src/contract';
import { BehavioralEvent, Context, IdentifyCall, PageCall, ProductRecord, Record, TrackCall } from '../../../src/gen/tributary/ingest/v1/record';
import { withoutPayload } from '../../helpers/records';
import { bytesOf, concat, encodeStruct, field, type WireEntries, type WireValue } from '../../helpers/wire-struct';

const SEED = Number(process.env.WIRE_SEED ?? 20261129);

/** Small limits, so that random payloads fall on both sides of each. */
const limits: fc.Arbitrary<ValidationLimits> = fc
  .record({
    maxStructDepth: fc.integer({ min: 1, max: 8 }),
    maxStructEntries: fc.integer({ min: 1, max: 60 }),
    maxKeyLength: fc.integer({ min: 1, max: 12 }),
    maxTextLength: fc.integer({ min: 1, max: 20 }),
  })
  .map((small) => ({ ...DEFAULT_LIMITS, ...small }));

const text: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 14 }), weight: 4 },
  fc.uint8Array({ maxLength: 4 }).map((b) => Buffer.concat([Buffer.from('ok'), b])), // often not UTF-8
  fc.string({ unit: 'grapheme', maxLength: 8 }), // astral characters: two UTF-16 units, four bytes
  fc.string({ unit: 'binary', maxLength: 6 }), // lone surrogates: encoded as U+FFFD
  fc.constantFrom('', 'ü'.repeat(7), '中'.repeat(5), '😀'.repeat(3)),
);
const key = fc.option(fc.oneof(text, fc.constantFrom('__proto__', 'constructor', '0', '1', 'a', 'b')), { freq: 12, nil: undefined });
const number = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 53));

const { value: wireValue } = fc.letrec<{ value: WireValue | undefined; entries: WireEntries }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 6 },
    fc.constant(undefined),
    fc.constant({ null: true as const }),
    fc.boolean().map((bool) => ({ bool })),
    number.map((n) => ({ number: n })),
    text.map((string) => ({ string })),
    tie('entries').map((struct) => ({ struct })),
    fc.array(tie('value'), { maxLength: 4 }).map((list) => ({ list })),
  ),
  entries: fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }),
}));
const payload = fc.array(fc.tuple(key, wireValue), { maxLength: 8 }).map(encodeStruct);

const label = fc.oneof(fc.constantFrom('', ' ', 'usr_1', 'a\u0001b'), fc.string({ maxLength: 6 }));
const timestamp = fc.option(fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true }), { freq: 8 });
const context = fc.option(
  fc.record({ ip: fc.constantFrom('', '10.0.0.1', 'nope'), userAgent: fc.string({ maxLength: 4 }), locale: label }).map((c) => Context.fromPartial(c)),
  { freq: 2 },
);

/** A record of one payload-carrying kind, its payload put in place as bytes. */
const record = fc
  .record({
    eventId: fc.constantFrom('', 'evt_1', 'evt 2'),
    timestamp,
    kind: fc.constantFrom('track', 'identify', 'group', 'page', 'product'),
    profileId: label,
    userId: label,
    accountId: label,
    name: label,
    url: fc.constantFrom('', 'https://example.com/a', 'not a url'),
    price: fc.option(fc.double(), { freq: 2 }),
    tags: fc.array(label, { maxLength: 3 }),
    context,
    payload,
  })
  .map((r) => {
    const head = Record.encode({ eventId: r.eventId, timestamp: r.timestamp ?? undefined, kind: undefined }).finish();
    if (r.kind === 'product') {
      const product = ProductRecord.encode(ProductRecord.fromPartial({ productId: r.profileId, userId: r.userId, title: r.name, price: r.price ?? undefined, tags: r.tags }));
      return concat(head, field(34, concat(product.finish(), field(122, r.payload))));
    }
    const event = BehavioralEvent.encode(BehavioralEvent.fromPartial({ profileId: r.profileId, userId: r.userId, accountId: r.accountId, context: r.context ?? undefined })).finish();
    const call =
      r.kind === 'track'
        ? field(82, concat(TrackCall.encode({ name: r.name, data: undefined }).finish(), field(18, r.payload)))
        : r.kind === 'page'
          ? field(122, concat(PageCall.encode(PageCall.fromPartial({ url: r.url, title: r.name })).finish(), field(42, r.payload)))
          : r.kind === 'identify'
            ? field(90, concat(field(10, r.payload), IdentifyCall.encode({ userAttributes: undefined, userHash: r.tags[0] }).finish()))
            : field(106, field(10, r.payload));
    return concat(head, field(26, concat(event, call)));
  });

/**
 * Byte edits: none, most often, then set, insert, delete or truncate (the
 * byte often a tag protobuf stops at, 0 or an end group, or a varint's
 * continuation), or the record followed by another (protobuf merges them).
 */
const edit = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' as const, at: 0, byte: 0 }), weight: 4 },
  fc.record({
    kind: fc.constantFrom('set' as const, 'insert' as const, 'delete' as const, 'truncate' as const, 'append' as const),
    at: fc.nat(),
    byte: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 0x0c, 0x14, 0x80, 0xff)),
  }),
);

function edited(bytes: Uint8Array, other: Uint8Array, { kind, at, byte }: { kind: string; at: number; byte: number }): Uint8Array {
  const i = bytes.length === 0 ? 0 : at % bytes.length;
  const out = [...bytes];
  if (kind === 'set' && out.length > 0) out[i] = byte;
  else if (kind === 'insert') out.splice(i, 0, byte);
  else if (kind === 'delete') out.splice(i, 1);
  else if (kind === 'truncate') out.length = i;
  else if (kind === 'append') return concat(bytes, other);
  return Uint8Array.from(out);
}

const NOW_MS = Date.parse('2026-11-26T12:00:00Z');

/**
 * Decodes and validates `bytes` by both paths and requires the same answer;
 * says which way the gateway's path went: payload checked on the wire, payload
 * made into objects, or record refused by the decoder.
 */
function agree(bytes: Uint8Array, bounds: ValidationLimits): 'wire' | 'objects' | 'refused' {
  const ctx = { limits: bounds, nowMs: NOW_MS, skewMs: 0 };
  const objectPath = decodeRecord(bytes);
  const wirePath = decodeRecord(bytes, bounds);
  const violations = (decoded: typeof objectPath) => ('record' in decoded ? validateRecord(decoded.record, bytes.length, ctx) : [decoded.violation]);
  expect(violations(wirePath)).toEqual(violations(objectPath));
  if (!('record' in objectPath)) {
    expect(wirePath).toEqual(objectPath);
    return 'refused';
  }
  if (!('record' in wirePath)) throw new Error('the wire path refused a record the generated decoder reads');
  expect([objectPath.record, withoutPayload(objectPath.record)]).toContainEqual(wirePath.record);
  return JSON.stringify(wirePath.record) === JSON.stringify(objectPath.record) ? 'objects' : 'wire';
}

it('gives the violations the object validator gives, for random and corrupted records of every payload kind', () => {
  const taken = { wire: 0, objects: 0, refused: 0 };
  fc.assert(
    fc.property(record, record, edit, limits, (encoded, other, change, bounds) => {
      taken[agree(edited(encoded, other, change), bounds)]++;
    }),
    { seed: SEED, numRuns: 5000 },
  );
  // Both branches are exercised: payloads checked on the wire, and payloads the object path had to name.
  expect(taken.wire).toBeGreaterThan(500);
  expect(taken.objects).toBeGreaterThan(500);
  expect(taken.refused).toBeGreaterThan(50);
});

describe('encodings the generated decoder reads in its own way', () => {
  const text = (tag: number, s: string) => bytesOf((w) => w.uint32(tag).string(s));
  const head = concat(
    text(10, 'evt_1'),
    field(
      18,
      bytesOf((w) => w.uint32(8).int64(1_764_000_000)),
    ),
  );
  const payload = encodeStruct([['k', { string: 'v' }]]);
  const notUtf8 = encodeStruct([[Uint8Array.of(0x6b, 0xff), { string: 'v' }]]);
  const track = (name: string, data: Uint8Array) => field(82, concat(text(10, name), field(18, data)));
  const event = (...parts: Uint8Array[]) => field(26, concat(text(10, 'usr_1'), ...parts));
  const cases: [string, Uint8Array, string][] = [
    // The event ends at the first tag 0, and the record at the second: the event has no call.
    ['tag 0 inside the event', concat(head, field(26, concat(text(10, 'usr_1'), Uint8Array.of(0, 0), text(10, 'usr_2'), track('Clicked', payload)))), 'objects'],
    // The track ends at the end-group tag, and its payload is read as the event's user_id.
    ['an end-group tag inside the track call', concat(head, event(field(82, concat(text(10, 'Clicked'), Uint8Array.of(0x0c), field(18, payload))))), 'objects'],
    // The name takes the next field's tag and length too, and the event reads on after them.
    ['a name that runs past its call', concat(head, event(field(82, concat(Uint8Array.of(10, 7), Buffer.from('Click'))), text(42, 'p1'))), 'objects'],
    ['a tag 0 inside the context', concat(head, event(field(50, concat(text(50, 'en'), Uint8Array.of(0), text(58, 'UTC'))), track('Clicked', payload))), 'objects'],
    ['a payload that is not UTF-8, overridden by a later event', concat(head, event(track('Clicked', notUtf8)), event(track('Clicked', payload))), 'refused'],
    ['a second event that overrides the first', concat(head, event(track('Clicked', notUtf8.subarray(0, 0))), event(track('Viewed', payload))), 'objects'],
    ['a well-formed track', concat(head, event(track('Clicked', payload))), 'wire'],
  ];

  it.each(cases)('%s: the paths agree', (_name, bytes, way) => {
    expect(agree(bytes, DEFAULT_LIMITS)).toBe(way);
  });
});
