/**
 * The depth scan that runs before JSON.parse on the HTTP doors: exact on
 * valid JSON (brackets inside strings, escaped quotes and backslashes, and
 * multi-byte characters do not count), checked against a recursive depth on
 * generated values; and the body parser that uses it, refusing 10,000 levels
 * as TOO_DEEP without parsing, bad JSON and bytes that are not UTF-8 as
 * MALFORMED_REQUEST.
 */
import fc from 'fast-check';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../../src/gateway/doors/json-depth';
import { parseJson } from '../../../src/gateway/doors/request-body';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
/** JSON text of objects nested `depth` deep: {"a":{"a":{}}} is 3. */
const deepJson = (depth: number): string => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

/** The depth of a parsed value, by recursion: the reference the scan must agree with. */
const depthOf = (value: unknown): number => (typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0);

const failure = (body: Buffer): unknown => {
  try {
    parseJson(body);
  } catch (error) {
    return error;
  }
  throw new Error('parsed');
};

it('counts objects and arrays, not brackets or quotes inside strings', () => {
  expect(nestsDeeperThan(bytes('{"a": [1, {"b": "}]]]\\"[[[{{"}]}'), 3)).toBe(false);
  expect(nestsDeeperThan(bytes('{"a": [1, {"b": "}]]]\\"[[[{{"}]}'), 2)).toBe(true);
  expect(nestsDeeperThan(bytes('["\\\\", ["x"]]'), 1)).toBe(true);
  expect(nestsDeeperThan(bytes('["\\\\", ["x"]]'), 2)).toBe(false);
  expect(nestsDeeperThan(bytes('{"é€😀[": "{{{"}'), 1)).toBe(false);
  expect(nestsDeeperThan(bytes('"[[["'), 0)).toBe(false);
});

it('agrees with a recursive count on generated JSON', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 12 }), fc.nat(14), (value, max) => {
      const text = bytes(JSON.stringify(value));
      expect(nestsDeeperThan(text, max)).toBe(depthOf(value) > max);
    }),
    { numRuns: 2000, seed: 20261129 },
  );
});

it('parses a body as deep as the bound, and refuses one level more as TOO_DEEP', () => {
  expect(depthOf(parseJson(bytes(deepJson(MAX_JSON_DEPTH))))).toBe(MAX_JSON_DEPTH);
  expect(failure(bytes(deepJson(MAX_JSON_DEPTH + 1)))).toMatchObject({ reason: 'TOO_DEEP', options: { metadata: { max_depth: String(MAX_JSON_DEPTH) } } });
});

it('refuses 10,000 levels as TOO_DEEP, bad JSON and bytes that are not UTF-8 as MALFORMED_REQUEST', () => {
  expect(failure(bytes(deepJson(10_000)))).toMatchObject({ reason: 'TOO_DEEP' });
  expect(failure(bytes('{"event": "x",}'))).toMatchObject({ reason: 'MALFORMED_REQUEST', message: expect.stringMatching(/not JSON: .*position 14/) });
  expect(failure(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]))).toMatchObject({ reason: 'MALFORMED_REQUEST', message: 'the body is not UTF-8' });
});
