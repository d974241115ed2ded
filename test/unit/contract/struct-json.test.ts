/**
 * The wire-level Struct writer against the object path it replaces,
 * JSON.stringify(Struct.unwrap(Struct.decode(bytes))): a table of value
 * kinds, odd encodings built by hand, the nesting bound, malformed bytes, and
 * two properties with fast-check (random objects, and corrupted encodings of
 * them). The seeds are fixed so a failure replays.
 */
import fc from 'fast-check';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { ListValue, Struct, Value } from '../../../src/gen/google/protobuf/struct';
import { listValueJson, structJson, valueJson } from '../../../src/contract/wire/struct-json';
import { MAX_DEPTH } from '../../../src/contract/wire/struct-walk';
import { WireError as StructWireError } from '../../../src/contract/wire/wire-cursor';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const encode = (object: { [key: string]: unknown }): Uint8Array => Struct.encode(Struct.wrap(object)).finish();
/** The object path's text. */
const objectText = (bytes: Uint8Array): string => JSON.stringify(Struct.unwrap(Struct.decode(bytes)));
const objectPath = (bytes: Uint8Array): unknown => JSON.parse(objectText(bytes));
/** The writer's value, checking its text is canonical: as JSON.stringify formats it, with no repeated key, so a round trip keeps its length. */
const written = (bytes: Uint8Array): unknown => canonical(structJson(bytes, 0, bytes.length));
const canonical = (text: string): unknown => {
  const value: unknown = JSON.parse(text);
  expect(JSON.stringify(value)).toHaveLength(text.length);
  return value;
};

// Hand-built encodings: Values, map entries and Structs as bytes.
const message = (build: (w: BinaryWriter) => unknown): Uint8Array => {
  const w = new BinaryWriter();
  build(w);
  return w.finish();
};
const numberValue = (x: number) => message((w) => w.uint32(17).double(x));
const stringValue = (s: string) => message((w) => w.uint32(26).string(s));
const structValue = (...entries: Uint8Array[]) => message((w) => w.uint32(42).bytes(struct(...entries)));
const emptyValue = new Uint8Array(0);
const entry = (key: string | undefined, value: Uint8Array | undefined) =>
  message((w) => {
    if (key !== undefined) w.uint32(10).string(key);
    if (value !== undefined) w.uint32(18).bytes(value);
  });
const struct = (...entries: Uint8Array[]) => message((w) => entries.forEach((e) => w.uint32(10).bytes(e)));
const list = (...values: Uint8Array[]) => message((w) => values.forEach((v) => w.uint32(10).bytes(v)));
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

describe('the value kinds', () => {
  const nest = (depth: number): Json => (depth === 0 ? 'bottom' : { level: depth, next: nest(depth - 1), list: [depth] });
  const table: [string, { [key: string]: unknown }][] = [
    ['null', { a: null }],
    ['an empty object, nested', { a: {}, b: { c: {} } }],
    ['an empty list', { a: [], b: [[]] }],
    ['integers', { a: 0, b: 1, c: 42, d: 2 ** 31, e: 2 ** 53 - 1, f: 2 ** 53, g: 1700000000000 }],
    ['fractions', { a: 0.5, b: 129.95, c: 0.1 + 0.2, d: 1 / 3 }],
    ['negative numbers', { a: -1, b: -(2 ** 31) - 1, c: -(2 ** 53) + 1, d: -0.25, e: -1e300 }],
    ['-0', { a: -0 }],
    ['huge and tiny numbers', { a: 1e21, b: 1e20, c: 5e-324, d: 1e-7, e: 1.7976931348623157e308, f: 123456789012345680000 }],
    ['strings that look like other things', { date: '1970-01-01', number: '42', bool: 'true', null: 'null', empty: '' }],
    ['booleans', { a: true, b: false }],
    ['unicode', { emoji: '😀👍🏽', cjk: '中文字符', mixed: 'Zürich – ß', ключ: 'значение', '\u{1F600}': 1 }],
    ['escapes', { quote: '"', backslash: '\\', newline: '\n', controls: '\u0000\u0001\b\f\n\r\t\u001f', separators: '\u2028\u2029', del: '\u007f', '"\\\n': 'key' }],
    ['a byte-order mark', { bom: '\uFEFFtext', '\uFEFF': 1 }],
    ['lists of every kind', { a: [null, 1, 'two', true, { three: 3 }, [4]] }],
    ['integer-like keys', { '1': 'one', '0': 'zero', '01': 'not an index', '-1': 'not either' }],
    ['nesting 30 deep', { root: nest(30) }],
    ['a big Struct', Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, i % 2 ? `value${i}` : i]))],
    ['a long string', { a: 'x'.repeat(10_000), b: '\u0001'.repeat(5_000) }],
  ];

  it.each(table)('%s: the same text as the object path', (_name, object) => {
    const bytes = encode(object);
    expect(structJson(bytes, 0, bytes.length)).toBe(objectText(bytes));
  });

  it('prints numbers as JSON.stringify does', () => {
    for (const x of [0, -0, 1, -1, 0.1, 1e21, 1e-7, 5e-324, 2 ** 53, 123e-20, Number.MAX_VALUE, Number.MIN_SAFE_INTEGER]) {
      expect(structJson(struct(entry('n', numberValue(x))))).toBe(`{"n":${JSON.stringify(x)}}`);
    }
  });

  it('writes a ListValue and a Value', () => {
    const items = [1, 'a', null, [true], { b: [] }];
    expect(listValueJson(ListValue.encode(ListValue.wrap(items)).finish())).toBe(JSON.stringify(items));
    expect(valueJson(Value.encode(Value.wrap('text')).finish())).toBe('"text"');
    expect(valueJson(Value.encode(Value.wrap({ a: [1] })).finish())).toBe('{"a":[1]}');
    expect(valueJson(Value.encode(Value.wrap(null)).finish())).toBe('null');
    expect(valueJson(emptyValue)).toBeUndefined();
    expect(listValueJson(new Uint8Array(0))).toBe('[]');
    expect(structJson(new Uint8Array(0))).toBe('{}');
  });

  it('reads bytes[start, end) of a larger buffer', () => {
    const bytes = encode({ a: 'b', c: [1, 2] });
    const framed = concat(Uint8Array.of(0xff, 0x00, 0x0a), bytes, Uint8Array.of(0x00, 0xff));
    expect(structJson(framed, 3, 3 + bytes.length)).toBe('{"a":"b","c":[1,2]}');
    expect(structJson(Buffer.from(framed), 3, 3 + bytes.length)).toBe('{"a":"b","c":[1,2]}');
    expect(() => structJson(bytes, 2, 1)).toThrow(RangeError);
    expect(() => structJson(bytes, 0, bytes.length + 1)).toThrow(RangeError);
    expect(() => structJson(bytes, 0.5, 1)).toThrow(RangeError);
  });
});

describe('odd encodings, as the object path reads them', () => {
  const one = numberValue(1);
  const cases: [string, Uint8Array, Json][] = [
    ['a repeated key keeps its last value', struct(entry('a', one), entry('b', numberValue(2)), entry('a', numberValue(3))), { a: 3, b: 2 }],
    ['a repeated key with no value leaves the earlier', struct(entry('a', one), entry('a', emptyValue), entry('a', undefined)), { a: 1 }],
    ['an entry without a key has the key ""', struct(entry(undefined, one)), { '': 1 }],
    ['an entry without a value is dropped', struct(entry('a', undefined), entry('b', one)), { b: 1 }],
    ['a Value with no kind is dropped from a Struct', struct(entry('a', emptyValue)), {}],
    [
      'a Value with no kind is null in a list',
      struct(
        entry(
          'a',
          message((w) => w.uint32(50).bytes(list(emptyValue, one, emptyValue))),
        ),
      ),
      { a: [null, 1, null] },
    ],
    [
      'null_value is null whatever its number',
      struct(
        entry(
          'a',
          message((w) => w.uint32(8).int32(5)),
        ),
      ),
      { a: null },
    ],
    [
      'a oneof set twice keeps the last',
      struct(
        entry(
          'a',
          concat(
            stringValue('x'),
            numberValue(2),
            message((w) => w.uint32(32).bool(true)),
          ),
        ),
      ),
      { a: true },
    ],
    ['a struct_value overridden by a string', struct(entry('a', concat(structValue(entry('b', one)), stringValue('x')))), { a: 'x' }],
    ['an entry value set twice keeps the last', struct(message((w) => w.uint32(10).string('a').uint32(18).bytes(one).uint32(18).bytes(stringValue('y')))), { a: 'y' }],
    ['an entry value set twice, the last empty, is dropped', struct(message((w) => w.uint32(10).string('a').uint32(18).bytes(one).uint32(18).bytes(emptyValue))), {}],
    ['an entry key set twice keeps the last', struct(message((w) => w.uint32(10).string('a').uint32(10).string('b').uint32(18).bytes(one))), { b: 1 }],
    ['an entry with the value before the key', struct(message((w) => w.uint32(18).bytes(one).uint32(10).string('k'))), { k: 1 }],
    ['the key "__proto__" is dropped', struct(entry('__proto__', one), entry('__proto__', structValue(entry('x', one))), entry('b', one)), { b: 1 }],
    ["keys that are not one of Object.prototype's setters stay", struct(entry('constructor', one), entry('toString', one), entry('__proto', one)), { constructor: 1, toString: 1, __proto: 1 }],
    [
      'a bool as a long varint',
      struct(
        entry(
          'a',
          message((w) => w.uint32(32).uint64(2n ** 40n)),
        ),
      ),
      { a: true },
    ],
    [
      'unknown fields at every level',
      concat(
        message((w) => w.uint32(16).uint32(7)),
        struct(
          message((w) =>
            w
              .uint32(10)
              .string('a')
              .uint32(29)
              .fixed32(1)
              .uint32(18)
              .bytes(concat(message((v) => v.uint32(56).uint32(1).uint32(66).string('junk').uint32(17).double(1.5)))),
          ),
        ),
        message((w) => w.uint32(19).uint32(8).uint32(1).uint32(20)), // a group, field 2
        message((w) => w.uint32(9).fixed64(3n)),
      ),
      { a: 1.5 },
    ],
    [
      'a known field number with another wire type is skipped',
      struct(
        entry(
          'a',
          concat(
            numberValue(1),
            message((w) => w.uint32(16).uint32(2)),
          ),
        ),
        entry(
          'b',
          message((w) => w.uint32(16).uint32(2)),
        ),
      ),
      { a: 1 },
    ],
    ['a non-finite number that a later kind overrides', struct(entry('a', concat(numberValue(NaN), stringValue('x')))), { a: 'x' }],
    ['a non-finite number under a repeated key', struct(entry('a', numberValue(Infinity)), entry('a', one)), { a: 1 }],
    ['a non-finite number in an overridden entry value', struct(message((w) => w.uint32(10).string('a').uint32(18).bytes(numberValue(-Infinity)).uint32(18).bytes(one))), { a: 1 }],
    [
      'a repeated key in a big Struct',
      struct(...Array.from({ length: 40 }, (_, i) => entry(`k${i % 25}`, numberValue(i)))),
      Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${i}`, i < 15 ? i + 25 : i])),
    ],
  ];

  it.each(cases)('%s', (_name, bytes, expected) => {
    expect(objectPath(bytes)).toEqual(expected);
    expect(written(bytes)).toEqual(expected);
  });

  it('writes a repeated key once', () => {
    const text = structJson(struct(entry('a', one), entry('b', one), entry('a', stringValue('x')), entry('c', one), entry('a', one)));
    expect(text.match(/"a"/g)).toHaveLength(1);
    expect(JSON.parse(text)).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('decodes invalid UTF-8 as TextDecoder does, U+FFFD for each bad sequence', () => {
    const raw = (bytes: number[]) => message((w) => w.uint32(26).bytes(Uint8Array.from(bytes)));
    const key = (bytes: number[], value: Uint8Array) => message((w) => w.uint32(10).bytes(Uint8Array.from(bytes)).uint32(18).bytes(value));
    const bytes = struct(
      entry('lone', raw([0x61, 0xff, 0x62])),
      entry('cut', raw([0xe4, 0xb8])),
      entry('surrogate', raw([0xed, 0xa0, 0x80])),
      entry('overlong', raw([0xc0, 0xaf, 0x0a])),
      key([0xfe], one),
      key([0xff], numberValue(2)), // the same key as [0xfe] once decoded
    );
    expect(written(bytes)).toEqual(objectPath(bytes));
    expect(written(bytes)).toEqual({ lone: 'a\uFFFDb', cut: '\uFFFD', surrogate: '\uFFFD\uFFFD\uFFFD', overlong: '\uFFFD\uFFFD\n', '\uFFFD': 2 });
  });
});

describe('the nesting bound', () => {
  const throws = (f: () => unknown): boolean => {
    try {
      f();
      return false;
    } catch {
      return true;
    }
  };
  const structs = (depth: number, bottom: Json): Json => (depth === 0 ? bottom : { a: structs(depth - 1, bottom) });
  const lists = (depth: number, bottom: Json): Json => (depth === 0 ? bottom : [lists(depth - 1, bottom)]);

  it.each([
    ['Structs in Structs, 1 at the bottom', (d: number) => structs(d, 1)],
    ['Structs in Structs, {} at the bottom', (d: number) => structs(d, {})],
    ['lists in lists', (d: number) => ({ a: lists(d, 1) })],
    ['lists in lists, [] at the bottom', (d: number) => ({ a: lists(d, []) })],
    ['lists and Structs', (d: number) => ({ a: lists(d, structs(d, 'x')) })],
  ])('refuses exactly what the object path refuses: %s', (_name, build) => {
    const refusedAt: number[] = [];
    for (let depth = 1; depth <= 60; depth++) {
      const bytes = encode(build(depth) as { [key: string]: Json });
      const refused = throws(() => Struct.decode(bytes));
      expect(throws(() => structJson(bytes))).toBe(refused);
      if (refused) refusedAt.push(depth);
      else expect(written(bytes)).toEqual(objectPath(bytes));
    }
    expect(refusedAt.length).toBeGreaterThan(0); // the bound was reached
  });

  it(`counts ${MAX_DEPTH} open messages, as the generated decoder does`, () => {
    // {a:{a:...1}} with 34 Structs: each opens a Struct, an entry and a Value, and the 34th entry would be the 101st message.
    const deepest = encode(structs(33, 1) as { [key: string]: Json });
    const tooDeep = encode(structs(34, 1) as { [key: string]: Json });
    expect(() => Struct.decode(deepest)).not.toThrow();
    expect(() => structJson(deepest)).not.toThrow();
    expect(() => Struct.decode(tooDeep)).toThrow('protobuf decode recursion limit exceeded');
    expect(() => structJson(tooDeep)).toThrow(/nesting deeper than 100 messages/);
  });
});

describe('malformed bytes', () => {
  const valid = encode({ a: 1.5, b: 'text', c: [true] });
  it.each([
    ['truncated in a double', valid.subarray(0, 10)],
    ['a length past the end', Uint8Array.of(0x0a, 0x05, 0x0a, 0x01)],
    ['a key running past its entry', Uint8Array.of(0x0a, 0x03, 0x0a, 0x05, 0x61, 0x62, 0x63, 0x64, 0x65)],
    [
      'a double running past its Value',
      struct(
        entry(
          'a',
          message((w) => w.uint32(17).fixed32(1)),
        ),
        entry('b', numberValue(1)),
      ),
    ],
    ['field number 0', Uint8Array.of(0x00)],
    ['field number 0 in a Value', struct(entry('a', Uint8Array.of(0x00, 0x00)))],
    ['a stray end-group tag', Uint8Array.of(0x14)],
    ['wire type 6', Uint8Array.of(0x0e, 0x00)],
    ['wire type 7', struct(entry('a', Uint8Array.of(0x0f)))],
    ['an overlong varint', Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)],
    ['a varint cut short', Uint8Array.of(0x10, 0xff)],
    ['an unterminated group', Uint8Array.of(0x13, 0x08, 0x01)],
    ['a malformed Value that a later one overrides', struct(message((w) => w.uint32(10).string('a').uint32(18).bytes(Uint8Array.of(0x0f)).uint32(18).bytes(numberValue(1))))],
  ])('%s throws StructWireError', (_name, bytes) => {
    expect(() => structJson(bytes)).toThrow(StructWireError);
  });

  it('says where', () => {
    expect(() => structJson(Uint8Array.of(0x0a, 0x05, 0x0a, 0x01))).toThrow('length runs past the end of its message at byte 2');
  });

  it.each([NaN, Infinity, -Infinity])('refuses %p, which JSON cannot hold', (x) => {
    expect(() => structJson(struct(entry('a', numberValue(x))))).toThrow(new StructWireError('NaN or Infinity is not a JSON number'));
    expect(() => structJson(struct(entry('a', structValue(entry('b', numberValue(x))))))).toThrow(StructWireError);
    expect(() => valueJson(numberValue(x))).toThrow(StructWireError);
  });
});

describe('the output buffer', () => {
  it('grows for a large output and is right again for a small one', () => {
    const big = { a: '\u0001'.repeat(400_000), b: Array.from({ length: 1000 }, (_, i) => ({ i })) }; // 2.4 MB of escapes
    const bigBytes = encode(big);
    expect(structJson(bigBytes)).toBe(objectText(bigBytes));
    const small = encode({ x: 'y' });
    expect(structJson(small)).toBe('{"x":"y"}');
  });
});

// Arbitraries for the properties: JSON with the numbers and strings most likely to differ.
const number = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.maxSafeInteger(), fc.constantFrom(-0, 1e21, 5e-324, 2 ** 53, 0.1, 1e-7, -1e300));
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }), // lone surrogates included: encoding makes them U+FFFD
  fc.constantFrom('1970-01-01', '42', 'true', '\u2028\u2029', '\u0000"\\', '\uFEFFx', '😀'),
);
const key = fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom('', '__proto__', 'constructor', '0', '1', '01', 'a'));

describe('properties', () => {
  const { json } = fc.letrec((tie) => ({
    json: fc.oneof({ depthSize: 'small', maxDepth: 5 }, fc.constant(null), fc.boolean(), number, text, tie('list'), tie('object')),
    list: fc.array(tie('json'), { maxLength: 5 }),
    object: fc.dictionary(key, tie('json'), { maxKeys: 8 }),
  }));
  const object = fc.dictionary(key, json, { maxKeys: 12 });

  it('writes what the object path writes, for any JSON object', () => {
    fc.assert(
      fc.property(object, fc.uint8Array({ maxLength: 4 }), fc.uint8Array({ maxLength: 4 }), (value, before, after) => {
        const bytes = encode(value);
        const expected = objectText(bytes);
        expect(structJson(bytes)).toBe(expected);
        // The same bytes framed by others: only [start, end) is read.
        expect(structJson(concat(before, bytes, after), before.length, before.length + bytes.length)).toBe(expected);
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  it('writes what the object path writes, for any JSON value', () => {
    fc.assert(
      fc.property(json, (value) => {
        const bytes = Value.encode(Value.wrap(value)).finish();
        expect(valueJson(bytes)).toBe(JSON.stringify(Value.unwrap(Value.decode(bytes))));
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it("throws StructWireError or writes JSON, the object path's value where it has one, for corrupted encodings", () => {
    const edit = fc.oneof(
      fc.record({ at: fc.nat(), kind: fc.constant('set' as const), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ at: fc.nat(), kind: fc.constant('insert' as const), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ at: fc.nat(), kind: fc.constant('delete' as const), byte: fc.constant(0) }),
      fc.record({ at: fc.nat(), kind: fc.constant('truncate' as const), byte: fc.constant(0) }),
    );
    const outcomes = { refused: 0, agreed: 0, objectPathThrew: 0 };
    fc.assert(
      fc.property(object, fc.array(edit, { minLength: 1, maxLength: 3 }), (value, edits) => {
        const bytes = [...encode(value)];
        for (const { at, kind, byte } of edits) {
          const i = at % (bytes.length + 1);
          if (kind === 'set' && i < bytes.length) bytes[i] = byte;
          else if (kind === 'insert') bytes.splice(i, 0, byte);
          else if (kind === 'delete') bytes.splice(i, 1);
          else if (kind === 'truncate') bytes.length = i;
        }
        const corrupted = Uint8Array.from(bytes);
        let text: string;
        try {
          text = structJson(corrupted);
        } catch (e) {
          expect(e).toBeInstanceOf(StructWireError);
          outcomes.refused++;
          return;
        }
        const parsed = canonical(text);
        let expected: unknown;
        try {
          expected = objectPath(corrupted);
        } catch {
          outcomes.objectPathThrew++;
          return;
        }
        expect(parsed).toEqual(expected);
        outcomes.agreed++;
      }),
      { seed: 42, numRuns: 2000 },
    );
    // The corruptions exercise both outcomes.
    expect(outcomes.refused).toBeGreaterThan(100);
    expect(outcomes.agreed).toBeGreaterThan(100);
  });

  it('throws StructWireError or writes JSON for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        let text: string;
        try {
          text = structJson(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(StructWireError);
          return;
        }
        canonical(text);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });
});
