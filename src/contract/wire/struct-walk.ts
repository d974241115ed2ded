/**
 * The one walk over an encoded google.protobuf.Struct, shared by what reads
 * free-form payloads on the wire: the JSON writer (struct-json.ts, the sink's
 * rows) and the limit scan (struct-scan.ts, the gateway's validator). It
 * reads tags, lengths and values and says what it finds to its subclass's
 * hooks; it builds no objects and decodes no strings.
 *
 * It reads as the generated decoder (ts-proto over BinaryReader) reads:
 * - a map entry's key and value may come in any order, and the last of each
 *   counts; an earlier value is still walked ({@link StructWalk.overridden});
 * - an entry without a value is dropped;
 * - a key that is overridden or dropped is passed to {@link StructWalk.skippedKey};
 * - a Value whose kind is set twice keeps the last (the earlier is walked all
 *   the same, and {@link StructWalk.rollback} drops what it produced);
 * - unknown fields are skipped, and so is a known field number with another
 *   wire type;
 * - no message opens inside MAX_DEPTH open messages (Struct, map entry,
 *   Value and ListValue each count).
 * It is stricter than the generated decoder on malformed bytes, which it
 * refuses with a StructWireError: a field running past its message, field
 * number 0, a stray end-group tag, wire types 6 and 7 (the generated decoder
 * stops a message at tag 0 or an end-group tag, and lets a field overrun its
 * message).
 */
import { BinaryReader } from '@bufbuild/protobuf/wire';

/** Malformed bytes, or nesting past MAX_DEPTH: the message says what and at which byte. */
export class StructWireError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StructWireError';
  }
}

/** The generated decoder's nesting bound: no message opens inside this many open messages. */
export const MAX_DEPTH = 100;

/** The tag of each Value kind, by field number: null, number, string, bool, struct, list. */
const KIND_TAGS = [-1, 8, 17, 26, 32, 42, 50];

/**
 * A walk over one encoding; input positions index the whole of `bytes`.
 * Subclasses say what to do with each thing found. Each method takes the
 * `end` of the message it reads and `depth`, how many messages are open
 * around it.
 */
export abstract class StructWalk {
  /** The reader, positioned at the next field. */
  readonly reader: BinaryReader;

  constructor(
    /** The encoding walked. */
    readonly bytes: Uint8Array,
    start: number,
  ) {
    this.reader = new BinaryReader(bytes);
    this.reader.pos = start;
  }

  /** Walks a Struct's entries, calling {@link member} for each that has a value. */
  struct(end: number, depth: number): void {
    this.enter(depth);
    const { reader } = this;
    this.openObject();
    while (reader.pos < end) {
      const tag = reader.uint32();
      if (tag !== 10) {
        this.skip(tag, end);
        continue;
      }
      const entryEnd = this.delimited(end);
      this.enter(depth + 1);
      let keyStart = -1;
      let keyEnd = -1;
      let valueStart = -1;
      let valueEnd = -1;
      while (reader.pos < entryEnd) {
        const entryTag = reader.uint32();
        if (entryTag === 10) {
          if (keyStart >= 0) this.skippedKey(keyStart, keyEnd);
          keyEnd = this.delimited(entryEnd);
          keyStart = reader.pos;
          reader.pos = keyEnd;
        } else if (entryTag === 18) {
          if (valueStart >= 0) this.overridden(valueStart, valueEnd, depth + 2);
          valueEnd = this.delimited(entryEnd);
          valueStart = reader.pos;
          reader.pos = valueEnd;
        } else {
          this.skip(entryTag, entryEnd);
        }
      }
      if (valueStart < 0) {
        if (keyStart >= 0) this.skippedKey(keyStart, keyEnd);
        continue;
      }
      reader.pos = valueStart;
      this.member(keyStart, keyEnd, valueEnd, depth + 2);
      reader.pos = entryEnd;
    }
    this.closeObject();
  }

  /** Walks a ListValue's values, calling {@link item} for each. */
  list(end: number, depth: number): void {
    this.enter(depth);
    const { reader } = this;
    this.openList();
    while (reader.pos < end) {
      const tag = reader.uint32();
      if (tag !== 10) {
        this.skip(tag, end);
        continue;
      }
      this.item(this.delimited(end), depth + 1);
    }
    this.closeList();
  }

  /** Walks a Value; false, having produced nothing, when it has no kind. */
  value(end: number, depth: number): boolean {
    this.enter(depth);
    const { reader } = this;
    const mark = this.mark();
    let found = false;
    while (reader.pos < end) {
      const tag = reader.uint32();
      const kind = tag >>> 3;
      if (tag !== KIND_TAGS[kind]) {
        this.skip(tag, end);
        continue;
      }
      if (found) this.rollback(mark);
      found = true;
      switch (kind) {
        case 1: // null_value, an enum: null whatever its number
          reader.uint32();
          this.within(end);
          this.nullValue();
          break;
        case 2:
          if (reader.pos + 8 > end) throw this.error('double runs past the end of its message');
          this.number(reader.double());
          break;
        case 3: {
          const stop = this.delimited(end);
          this.string(reader.pos, stop);
          reader.pos = stop;
          break;
        }
        case 4:
          this.bool(reader.bool());
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
    return found;
  }

  /** A map entry's value that a later one overrides: walked, as the generated decoder parses it, and what it produced dropped. */
  protected overridden(start: number, end: number, depth: number): void {
    const { reader } = this;
    const mark = this.mark();
    const pos = reader.pos;
    reader.pos = start;
    this.value(end, depth);
    this.rollback(mark);
    reader.pos = pos;
  }

  /**
   * A Struct member with a value, its key at bytes[keyStart, keyEnd) (-1 when
   * the entry has none), the reader at its value, which ends at `end`: a
   * subclass walks the value with {@link value}.
   */
  protected abstract member(keyStart: number, keyEnd: number, end: number, depth: number): void;
  /** A key at bytes[start, stop) that counts for nothing: set again later in its entry, or of an entry without a value. */
  protected abstract skippedKey(start: number, stop: number): void;
  /** A ListValue item ending at `end`: a subclass walks it with {@link value}. */
  protected abstract item(end: number, depth: number): void;
  protected abstract openObject(): void;
  protected abstract closeObject(): void;
  protected abstract openList(): void;
  protected abstract closeList(): void;
  protected abstract nullValue(): void;
  protected abstract number(x: number): void;
  /** A string at bytes[start, stop), not decoded. */
  protected abstract string(start: number, stop: number): void;
  protected abstract bool(b: boolean): void;
  /** Where the output stands, for {@link rollback}. */
  protected abstract mark(): number;
  /** Drops what was produced since `mark`. */
  protected abstract rollback(mark: number): void;

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

  /** An error that says where. */
  protected error(what: string): StructWireError {
    return new StructWireError(`${what} at byte ${this.reader.pos}`);
  }
}
