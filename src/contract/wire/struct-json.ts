/**
 * google.protobuf.Struct to JSON text, straight from the wire. The sink keeps
 * free-form bags (properties, attributes, product data) as JSON text in
 * ClickHouse String columns; the object path to that text, ts-proto's
 * `Struct.decode`, `Struct.unwrap` and `JSON.stringify`, builds a JS object
 * per bag and a string per key and value only to throw them away. This walks
 * the encoded bytes once and writes the JSON as bytes (json-bytes.ts): into
 * the caller's buffer ({@link writeStruct}, the sink's rows), or into a
 * scratch buffer made into one string ({@link structJson}).
 *
 * `JSON.parse` of the text deep-equals `JSON.parse` of the object path's
 * text for every input the object path decodes, bar the refusals below. Keys
 * come out in wire order (the object path puts integer-like keys first). As
 * the object path does:
 * - a repeated key keeps its last value, once;
 * - a map entry without a key has the key "";
 * - a Value with no kind is absent: its entry is dropped (an earlier entry
 *   with the same key stands), and it is `null` as a list item;
 * - null_value is `null` whatever its number; a oneof or field set twice
 *   keeps the last (the earlier is parsed all the same);
 * - unknown fields are skipped, and so is a known field number with another
 *   wire type (protobuf parsers take it for an unknown field; the gateway
 *   accepted the producer's bytes, which reach the sink unchanged);
 * - the key "__proto__" is dropped (the object path assigns it to a plain
 *   object, which sets the prototype instead of adding a member);
 * - strings decode as TextDecoder decodes them (invalid UTF-8 becomes U+FFFD,
 *   a leading U+FEFF stays) and are escaped as JSON.stringify escapes them;
 *   numbers print as JSON.stringify prints them (-0 as 0, 1e+21, 5e-324).
 *
 * Refused with a StructJsonError, never written as invalid JSON:
 * - NaN and ±Infinity, which the object path would print as null. The
 *   gateway rejects them, so one here is a fault worth seeing. One that a
 *   later field overrides is not part of the value and is not refused.
 * - nesting past the generated decoder's bound: a message inside 100 open
 *   messages (Struct, map entry, Value and ListValue each count);
 * - bytes protobuf calls malformed: truncation, a field running past its
 *   message, field number 0, a stray end-group tag, wire types 6 and 7, an
 *   overlong varint. The object path is laxer with some of these (it stops
 *   a message at tag 0 or an end-group tag, lets a field overrun its message).
 *
 * BinaryReader (@bufbuild/protobuf/wire, as in src/gen) reads the varints and
 * doubles and skips unknown fields. Strings are not decoded: valid UTF-8 is
 * copied as it is, escaping only what JSON.stringify escapes (quote,
 * backslash, controls; a string decoded from UTF-8 has no lone surrogate),
 * and only invalid UTF-8 goes through a decoder and JSON.stringify. Measured
 * on a 14-key event payload (380 bytes, Node 20): the object path takes 4.6
 * µs, this 2.2 µs. A first version that made a JS string of every key and
 * value and concatenated them was no faster than the object path, though it
 * sliced strings out of a Buffer (latin1Slice, utf8Slice: 90 ns a string)
 * rather than with BinaryReader.string and JSON.stringify (130 ns).
 */
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { JsonBytes } from './json-bytes';

/** Malformed or non-JSON input: the message says what and at which byte. */
export class StructJsonError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StructJsonError';
  }
}

/** The generated decoder's nesting bound: no message opens inside this many open messages. */
export const MAX_DEPTH = 100;

/**
 * JSON text of the google.protobuf.Struct encoded in bytes[start, end): an object, `{}` when empty.
 *
 * @throws StructJsonError when the bytes are malformed, nest deeper than MAX_DEPTH or hold NaN or ±Infinity.
 * @throws RangeError when [start, end) is not a range of integers within bytes.
 */
export function structJson(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return write(bytes, start, end, (walk) => {
    walk.struct(end, 0);
    return true;
  }) as string;
}

/**
 * Writes the JSON of the google.protobuf.Struct encoded in bytes[start, end)
 * into `out`, as {@link structJson} makes it. On a throw, `out` is as it was.
 *
 * @throws StructJsonError and RangeError as structJson does.
 */
export function writeStruct(out: JsonBytes, bytes: Uint8Array, start: number, end: number): void {
  walkInto(out, bytes, start, end, (walk) => {
    walk.struct(end, 0);
    return true;
  });
}

/** JSON text of the google.protobuf.ListValue encoded in bytes[start, end): an array. Throws as structJson does. */
export function listValueJson(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return write(bytes, start, end, (walk) => {
    walk.list(end, 0);
    return true;
  }) as string;
}

/**
 * JSON text of the google.protobuf.Value encoded in bytes[start, end), or
 * undefined when it has no kind set (JSON.stringify's answer for the object path's undefined).
 * Throws as structJson does.
 */
export function valueJson(bytes: Uint8Array, start = 0, end = bytes.length): string | undefined {
  return write(bytes, start, end, (walk) => walk.value(end, 0));
}

/** The output of the string-returning functions, kept between calls; one that grew past KEEP_BYTES is let go. */
let scratch = new JsonBytes();
const KEEP_BYTES = 1 << 20;

/** Walks one encoding into the scratch buffer and returns its text; the callback writes a message and says whether it wrote anything. */
function write(bytes: Uint8Array, start: number, end: number, message: (walk: Walk) => boolean): string | undefined {
  scratch.reset();
  try {
    return walkInto(scratch, bytes, start, end, message) ? scratch.text() : undefined;
  } finally {
    if (scratch.buf.length > KEEP_BYTES) scratch = new JsonBytes();
  }
}

/** Walks one encoding into `out`; on a throw, `out` is rolled back. The callback writes a message and says whether it wrote anything. */
function walkInto(out: JsonBytes, bytes: Uint8Array, start: number, end: number, message: (walk: Walk) => boolean): boolean {
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= bytes.length)) {
    throw new RangeError(`[${start}, ${end}) is not a range of ${bytes.length} bytes`);
  }
  const from = out.n;
  const walk = new Walk(bytes, start, out);
  try {
    const wrote = message(walk);
    if (walk.nonFinite && !parses(out.buf.toString('utf8', from, out.n))) throw new StructJsonError('NaN or Infinity is not a JSON number');
    return wrote;
  } catch (e) {
    out.n = from;
    if (e instanceof StructJsonError) throw e;
    // BinaryReader's own errors: a premature end, an overlong varint, a bad group.
    throw new StructJsonError(`${(e as Error).message} at byte ${walk.reader.pos}`, { cause: e });
  }
}

function parses(json: string): boolean {
  try {
    JSON.parse(json);
    return true;
  } catch {
    return false;
  }
}

/** The tag of each Value kind, by field number: null, number, string, bool, struct, list. */
const KIND_TAGS = [-1, 8, 17, 26, 32, 42, 50];
/** Up to this many keys, a Struct looks for a repeated key among its members' bytes; past it, a Set says whether to look. */
const LINEAR_KEYS = 16;

/** One walk over one encoding, writing JSON into `out`; input positions index the whole of `bytes`. */
class Walk {
  readonly reader: BinaryReader;
  /** Whether a NaN or ±Infinity was written; the text is parsed before it is returned. */
  nonFinite = false;
  /** For every open Struct, where each member starts in `out` and where its key ends, in pairs. */
  private readonly members: number[] = [];

  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly out: JsonBytes,
  ) {
    this.reader = new BinaryReader(bytes);
    this.reader.pos = start;
  }

  /** Writes a Struct's object; `end` is where its encoding ends, `depth` how many messages are open around it. */
  struct(end: number, depth: number): void {
    this.enter(depth);
    const { reader, members } = this;
    const base = members.length;
    let seen: Set<string> | undefined;
    this.byte(0x7b);
    const open = this.out.n;
    while (reader.pos < end) {
      const tag = reader.uint32();
      if (tag !== 10) {
        this.skip(tag, end);
        continue;
      }
      const entryEnd = this.delimited(end);
      this.enter(depth + 1);
      // A map entry's key and value may come in any order, and the last of each counts.
      let keyStart = -1;
      let keyEnd = -1;
      let valueStart = -1;
      let valueEnd = -1;
      while (reader.pos < entryEnd) {
        const entryTag = reader.uint32();
        if (entryTag === 10) {
          keyEnd = this.delimited(entryEnd);
          keyStart = reader.pos;
          reader.pos = keyEnd;
        } else if (entryTag === 18) {
          if (valueStart >= 0) this.discard(valueStart, valueEnd, depth + 2);
          valueEnd = this.delimited(entryEnd);
          valueStart = reader.pos;
          reader.pos = valueEnd;
        } else {
          this.skip(entryTag, entryEnd);
        }
      }
      if (valueStart < 0) continue;
      const member = this.out.n;
      if (keyStart < 0) this.text('""');
      else this.string(keyStart, keyEnd);
      const keyOut = this.out.n;
      this.byte(0x3a);
      reader.pos = valueStart;
      const wrote = this.value(valueEnd, depth + 2);
      reader.pos = entryEnd;
      if (!wrote || (keyOut - member === 11 && this.out.buf.toString('latin1', member, keyOut) === '"__proto__"')) {
        this.out.n = member;
        continue;
      }
      this.byte(0x2c);
      // A repeated key: the earlier member goes. A big Struct asks its Set before it looks.
      let removed = 0;
      if (seen === undefined) {
        removed = this.dropKey(base, member, keyOut);
      } else {
        const key = this.out.buf.toString('latin1', member, keyOut);
        if (seen.has(key)) removed = this.dropKey(base, member, keyOut);
        else seen.add(key);
      }
      members.push(member - removed, keyOut - removed);
      if (seen === undefined && members.length - base === 2 * LINEAR_KEYS) seen = this.keySet(base);
    }
    members.length = base;
    this.close(open, 0x7d);
  }

  /** Writes a ListValue's array. */
  list(end: number, depth: number): void {
    this.enter(depth);
    const { reader } = this;
    this.byte(0x5b);
    const open = this.out.n;
    while (reader.pos < end) {
      const tag = reader.uint32();
      if (tag !== 10) {
        this.skip(tag, end);
        continue;
      }
      if (!this.value(this.delimited(end), depth + 1)) this.text('null');
      this.byte(0x2c);
    }
    this.close(open, 0x5d);
  }

  /** Writes a Value's JSON; false, having written nothing, when it has no kind. */
  value(end: number, depth: number): boolean {
    this.enter(depth);
    const { reader } = this;
    const mark = this.out.n;
    let wrote = false;
    while (reader.pos < end) {
      const tag = reader.uint32();
      const kind = tag >>> 3;
      if (tag !== KIND_TAGS[kind]) {
        this.skip(tag, end);
        continue;
      }
      this.out.n = mark;
      wrote = true;
      switch (kind) {
        case 1: // null_value, an enum
          reader.uint32();
          this.within(end);
          this.text('null');
          break;
        case 2:
          this.number(end);
          break;
        case 3: {
          const stop = this.delimited(end);
          this.string(reader.pos, stop);
          reader.pos = stop;
          break;
        }
        case 4:
          this.text(reader.bool() ? 'true' : 'false');
          this.within(end);
          break;
        case 5:
          this.struct(this.delimited(end), depth + 1);
          break;
        case 6:
          this.list(this.delimited(end), depth + 1);
          break;
      }
    }
    return wrote;
  }

  /** Parses a Value that a later one overrides, as the object path does, and drops what it wrote. */
  private discard(start: number, end: number, depth: number): void {
    const { reader } = this;
    const n = this.out.n;
    const pos = reader.pos;
    reader.pos = start;
    this.value(end, depth);
    this.out.n = n;
    reader.pos = pos;
  }

  /** Writes a string's bytes as a JSON string. */
  private string(start: number, stop: number): void {
    this.out.utf8String(this.bytes, start, stop);
  }

  /** Writes a double as JSON.stringify does; NaN and ±Infinity as their names, which `write` refuses if they are still there at the end. */
  private number(end: number): void {
    if (this.reader.pos + 8 > end) throw this.error('double runs past the end of its message');
    const x = this.reader.double();
    if (!Number.isFinite(x)) {
      this.nonFinite = true;
      this.text(String(x));
    } else {
      // The same digits either way; String is quicker for integers (V8 caches them), JSON.stringify for fractions.
      this.text(Number.isSafeInteger(x) ? String(x) : JSON.stringify(x));
    }
  }

  /** Writes ASCII text. */
  private text(s: string): void {
    this.out.ascii7(s);
  }

  private byte(c: number): void {
    this.out.byte(c);
  }

  /** Ends an object or array opened at `open` (after its bracket): its last comma becomes the bracket. */
  private close(open: number, bracket: number): void {
    if (this.out.n > open) this.out.buf[this.out.n - 1] = bracket;
    else this.byte(bracket);
  }

  /**
   * Removes the open Struct's member (from `base` in `members`) whose key is
   * the one at out[member, keyEnd), if there is one; returns how many bytes went.
   */
  private dropKey(base: number, member: number, keyEnd: number): number {
    const { members, out } = this;
    for (let j = base; j < members.length; j += 2) {
      if (!sameBytes(out.buf, member, keyEnd, members[j], members[j + 1])) continue;
      const next = j + 2 < members.length ? members[j + 2] : member;
      const removed = next - members[j];
      out.buf.copyWithin(members[j], next, out.n);
      out.n -= removed;
      members.splice(j, 2);
      for (let k = j; k < members.length; k++) members[k] -= removed;
      return removed;
    }
    return 0;
  }

  /** The keys of the open Struct's members, as latin1 strings of their bytes. */
  private keySet(base: number): Set<string> {
    const keys = new Set<string>();
    for (let j = base; j < this.members.length; j += 2) keys.add(this.out.buf.toString('latin1', this.members[j], this.members[j + 1]));
    return keys;
  }

  /** Enters a message `depth` open messages deep. */
  private enter(depth: number): void {
    if (depth >= MAX_DEPTH) throw this.error(`nesting deeper than ${MAX_DEPTH} messages`);
  }

  /** Throws when the last field read ran past `end`, the end of its message. */
  private within(end: number): void {
    if (this.reader.pos > end) throw this.error('field runs past the end of its message');
  }

  /** Reads a length prefix; returns where the length-delimited field ends. */
  private delimited(end: number): number {
    const fieldEnd = this.reader.uint32() + this.reader.pos;
    if (fieldEnd > end) throw this.error('length runs past the end of its message');
    return fieldEnd;
  }

  /** Skips an unknown field (or a known field number with another wire type, as protobuf does). */
  private skip(tag: number, end: number): void {
    const wireType = tag & 7;
    if (tag >>> 3 === 0 || wireType === 4 || wireType > 5) throw this.error(`illegal tag ${tag}`);
    this.reader.skip(wireType);
    this.within(end);
  }

  private error(what: string): StructJsonError {
    return new StructJsonError(`${what} at byte ${this.reader.pos}`);
  }
}

/** Whether a[aStart, aEnd) and a[bStart, bEnd) hold the same bytes. */
function sameBytes(a: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let i = 0; i < aEnd - aStart; i++) if (a[aStart + i] !== a[bStart + i]) return false;
  return true;
}
