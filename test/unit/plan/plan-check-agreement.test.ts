/**
 * The plan check on the wire against the plan check over decoded objects
 * (Ajv, the reference), differentially, with fast-check: random plans (each
 * property type, enums, patterns, formats, bounds, required properties,
 * others allowed or not) and random track, identify, page and group records
 * whose payloads are built entry by entry on the wire (repeated keys,
 * entries without a key or a kind, the key "", "__proto__", "constructor",
 * a key like an index,
 * a leading U+FEFF in keys and strings, astral characters, nested values,
 * entries whose value overrides an earlier one).
 * Both paths must give the same violations, word for word, in the same order,
 * with several records checked under one plan in both orders, as Buffers and
 * as plain Uint8Arrays at an offset. The seed is fixed (PLAN_SEED replays
 * another); the test counts that payloads were checked on the wire and that
 * violations of every reason were found, so neither side is vacuous.
 */
import fc from 'fast-check';
import { decodeRecord, DEFAULT_LIMITS } from '../../../src/contract';
import { BehavioralEvent, Record, TrackCall } from '../../../src/gen/tributary/ingest/v1/record';
import { parsePlan } from '../../../src/plan/parse-plan';
import { PlanReason } from '../../../src/plan/plan';
import { PROPERTY_TYPES, STRING_FORMATS } from '../../../src/plan/plan-file-schema';
import { recordPlanCheck } from '../../../src/plan/record-plan-check';
import { wirePlanCheck } from '../../../src/plan/wire-plan-check';
import { concat, encodeStruct, field, type WireValue } from '../../helpers/wire-struct';

const SEED = Number(process.env.PLAN_SEED ?? 20261205);

const NAMES = ['a', 'b', 'total', 'email', 'constructor', '0', ''];
const STRINGS = ['', 'abc', 'ABC', 'a@example.com', 'not an email', '2026-12-05T10:00:00Z', '2026-12-05', '123', '😀😀', 'ü'.repeat(6), '\uFEFFabc', '\uFEFF'];
const NUMBERS = [0, 1, -1, 2.5, 10, 100, 1e9, -0.5];

/** One property of a plan file, its constraints fitting its type. */
const property = fc.constantFrom(...PROPERTY_TYPES).chain((type) => {
  const common = { type: fc.constant(type) };
  if (type === 'string') {
    return fc.record(
      {
        ...common,
        enum: fc.uniqueArray(fc.constantFrom(...STRINGS), { minLength: 1, maxLength: 3 }),
        pattern: fc.constantFrom('^[a-z]+$', '^A', '\\d', '^.{0,3}$'),
        format: fc.constantFrom(...STRING_FORMATS),
        minLength: fc.integer({ min: 0, max: 3 }),
        maxLength: fc.integer({ min: 3, max: 8 }),
      },
      { requiredKeys: ['type'] },
    );
  }
  if (type === 'number' || type === 'integer') {
    const values = type === 'integer' ? NUMBERS.filter(Number.isInteger) : NUMBERS;
    return fc.record(
      { ...common, enum: fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 3 }), minimum: fc.constantFrom(-1, 0, 1), maximum: fc.constantFrom(2, 10, 1000) },
      { requiredKeys: ['type'] },
    );
  }
  if (type === 'boolean') return fc.record({ ...common, enum: fc.constantFrom([true], [false]) }, { requiredKeys: ['type'] });
  return fc.record(common);
});

/** A plan of one event, "e", as the text of its file. */
const planText = fc
  .record({
    properties: fc.dictionary(fc.constantFrom(...NAMES), property, { maxKeys: 4 }),
    additionalProperties: fc.option(fc.boolean(), { nil: undefined }),
    allowUnplannedProperties: fc.option(fc.boolean(), { nil: undefined }),
    allowUnplannedEvents: fc.boolean(),
    requiredShare: fc.nat({ max: 3 }),
  })
  .map((p) => {
    const names = Object.keys(p.properties);
    const required = names.filter((_, i) => i < p.requiredShare);
    const event = { properties: p.properties, required, ...(p.additionalProperties === undefined ? {} : { additionalProperties: p.additionalProperties }) };
    const allow = p.allowUnplannedProperties === undefined ? {} : { allowUnplannedProperties: p.allowUnplannedProperties };
    return JSON.stringify({ version: '1', allowUnplannedEvents: p.allowUnplannedEvents, ...allow, track: { e: event }, identify: event, page: event, group: event }, null, 2);
  });

const { value: wireValue } = fc.letrec<{ value: WireValue | undefined; nested: WireValue }>((tie) => ({
  value: fc.oneof(
    fc.constant(undefined),
    fc.constant({ none: true as const }),
    fc.constant({ null: true as const }),
    fc.boolean().map((bool) => ({ bool })),
    fc.oneof(fc.constantFrom(...NUMBERS), fc.double({ noNaN: true, noDefaultInfinity: true })).map((n) => ({ number: n })),
    fc.oneof(fc.constantFrom(...STRINGS), fc.string({ maxLength: 6 })).map((string) => ({ string })),
    tie('nested'),
  ),
  nested: fc.oneof(
    { depthSize: 'small', maxDepth: 2 },
    fc.array(fc.tuple(fc.constantFrom(...NAMES), tie('value')), { maxLength: 2 }).map((struct) => ({ struct })),
    fc.array(tie('value'), { maxLength: 2 }).map((list) => ({ list })),
  ),
}));

/** A record of a call a plan may declare (a track named "e", or now and then "other") whose payload is built on the wire. */
const record = fc
  .record({
    call: fc.constantFrom('track', 'track', 'track', 'identify', 'page', 'group'),
    name: fc.constantFrom('e', 'e', 'e', 'other'),
    // Now and then an entry carries an earlier value that its value overrides: a Struct's members in it do not count.
    entries: fc.array(fc.tuple(fc.constantFrom(...NAMES, '__proto__', '\uFEFFtotal', 'extra', undefined), wireValue, fc.option(wireValue, { nil: undefined, freq: 4 })), {
      maxLength: 7,
    }),
  })
  .map(({ call, name, entries }) => {
    const head = Record.encode({ eventId: 'evt_1', timestamp: new Date('2026-12-05T00:00:00Z'), kind: undefined }).finish();
    const event = BehavioralEvent.encode(BehavioralEvent.fromPartial({ profileId: 'p1' })).finish();
    const payload = encodeStruct(entries);
    const calls = {
      track: () => field(82, concat(TrackCall.encode({ name, data: undefined }).finish(), field(18, payload))),
      identify: () => field(90, field(10, payload)),
      page: () => field(122, field(42, payload)),
      group: () => field(106, field(10, payload)),
    };
    return concat(head, field(26, concat(event, calls[call]())));
  });

/** `bytes` copied into a plain Uint8Array at an offset within a larger buffer, as a record can lie within a request. */
function atOffset(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.length + 7);
  copy.set(bytes, 7);
  return copy.subarray(7);
}

/** The records laid end to end in one buffer, at an offset, as the records of one request lie: one walk reads them all. */
function together(records: readonly Uint8Array[]): Uint8Array[] {
  const whole = new Uint8Array(7 + records.reduce((sum, bytes) => sum + bytes.length, 0));
  let at = 7;
  return records.map((bytes) => {
    whole.set(bytes, at);
    at += bytes.length;
    return whole.subarray(at - bytes.length, at);
  });
}

it('gives the violations Ajv gives over the decoded payload, for random plans and records', () => {
  let onWire = 0;
  const reasons = new Set<string>();
  fc.assert(
    fc.property(planText, fc.array(record, { minLength: 1, maxLength: 3 }), (text, records) => {
      const plan = parsePlan('random.json', text);
      const expected = records.map((bytes) => {
        const objects = decodeRecord(bytes);
        if (!('record' in objects)) throw new Error('a random record did not decode');
        return recordPlanCheck(plan, objects.record, bytes, undefined);
      });
      // Each record is checked under one plan with others before and after it, as a Buffer, as a plain Uint8Array, and
      // beside the others in one buffer, so what one check leaves in the plan's tables or in its walk cannot go unseen.
      const order = [...records.keys(), ...[...records.keys()].reverse()];
      const shared = together(records);
      for (const i of order) {
        for (const bytes of [records[i], atOffset(records[i]), shared[i]]) {
          const wire = decodeRecord(bytes, DEFAULT_LIMITS);
          if (!('record' in wire)) throw new Error('a random record did not decode');
          if (wire.payload !== undefined) onWire++;
          expect(recordPlanCheck(plan, wire.record, bytes, wire.payload)).toEqual(expected[i]);
        }
      }
      for (const violation of expected.flat()) reasons.add(violation.reason);
    }),
    { seed: SEED, numRuns: 3000 },
  );
  expect(onWire).toBeGreaterThan(8000);
  expect([...reasons].sort()).toEqual(Object.values(PlanReason).sort());
});

it('checks a payload on its own after a check of another in the same buffer failed half-way', () => {
  const plan = parsePlan('plan.json', JSON.stringify({ version: '1', allowUnplannedEvents: true, identify: { properties: { a: { type: 'string' } }, additionalProperties: false } }));
  const rule = plan.identify;
  if (rule === undefined) throw new Error('the plan has no identify rule');
  // An unplanned key, then an entry whose length runs past the end: the walk has found a violation when it throws.
  const broken = concat(encodeStruct([['extra', { string: 'x' }]]), Uint8Array.of(10, 50));
  const sound = encodeStruct([['a', { number: 1 }]]);
  const whole = concat(broken, sound);
  expect(() => wirePlanCheck(rule, 'event.identify.user_attributes', whole, 0, broken.length)).toThrow(/runs past the end/);
  expect(wirePlanCheck(rule, 'event.identify.user_attributes', whole, broken.length, whole.length)).toEqual([
    { field: 'event.identify.user_attributes.a', reason: PlanReason.DATATYPE_MISMATCH, message: 'expected string, got number' },
  ]);
});

it("compiles every payload's schema of every plan that parses, as the object check does at its first use", () => {
  fc.assert(
    fc.property(planText, (text) => {
      const plan = parsePlan('random.json', text);
      for (const rule of [...plan.track.values(), plan.page, plan.identify, plan.group]) expect(rule?.validator()).toBeInstanceOf(Function);
    }),
    { seed: SEED, numRuns: 300 },
  );
});
