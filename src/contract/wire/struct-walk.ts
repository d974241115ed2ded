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
 * It reads with the wire cursor (wire-cursor.ts), which is stricter than the
 * generated decoder on malformed bytes and refuses them with a WireError, as
 * the walk refuses nesting past MAX_DEPTH.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { LIST_VALUE, MAP_ENTRY, STRUCT, VALUE } from './field-numbers';
import { assertWithin, fieldEnd, skipField, tagsOf, wireError, type WireError } from './wire-cursor';

/** The generated decoder's nesting bound: no message opens inside this many open messages. */
export const MAX_DEPTH = 100;

// The tags the walk reads, as module constants: its loops compare them at
// less cost than a table's properties.
const { fields: FIELDS_TAG } = tagsOf(STRUCT);
const { key: KEY_TAG, value: VALUE_TAG } = tagsOf(MAP_ENTRY);
const { values: VALUES_TAG } = tagsOf(LIST_VALUE);
/** The tags of a Value's kinds, for the walk and for readers of top-level members (src/plan/wire-plan-check.ts). */
export const {
  nullValue: NULL_TAG,
  numberValue: NUMBER_TAG,
  stringValue: STRING_TAG,
  boolValue: BOOL_TAG,
  structValue: STRUCT_TAG,
  listValue: LIST_TAG,
} = tagsOf(VALUE, { nullValue: WireType.Varint, numberValue: WireType.Bit64, boolValue: WireType.Varint });
/** The tag of each Value kind by field number; -1 at a number that is no kind. */
const KIND_TAGS = Array.from({ length: Math.max(...Object.values(VALUE)) + 1 }, () => -1);
for (const tag of [NULL_TAG, NUMBER_TAG, STRING_TAG, BOOL_TAG, STRUCT_TAG, LIST_TAG]) KIND_TAGS[tag >>> 3] = tag;

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
      if (tag !== FIELDS_TAG) {
        skipField(reader, tag, end);
        continue;
      }
      const entryEnd = fieldEnd(reader, end);
      this.enter(depth + 1);
      let keyStart = -1;
      let keyEnd = -1;
      let valueStart = -1;
      let valueEnd = -1;
      while (reader.pos < entryEnd) {
        const entryTag = reader.uint32();
        if (entryTag === KEY_TAG) {
          if (keyStart >= 0) this.skippedKey(keyStart, keyEnd);
          keyEnd = fieldEnd(reader, entryEnd);
          keyStart = reader.pos;
          reader.pos = keyEnd;
        } else if (entryTag === VALUE_TAG) {
          if (valueStart >= 0) this.overridden(valueStart, valueEnd, depth + 2);
          valueEnd = fieldEnd(reader, entryEnd);
          valueStart = reader.pos;
          reader.pos = valueEnd;
        } else {
          skipField(reader, entryTag, entryEnd);
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
      if (tag !== VALUES_TAG) {
        skipField(reader, tag, end);
        continue;
      }
      this.item(fieldEnd(reader, end), depth + 1);
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
      if (tag !== KIND_TAGS[tag >>> 3]) {
        skipField(reader, tag, end);
        continue;
      }
      if (found) this.rollback(mark);
      found = true;
      switch (tag) {
        case NULL_TAG: // an enum: null whatever its number
          reader.uint32();
          assertWithin(reader, end);
          this.nullValue();
          break;
        case NUMBER_TAG:
          if (reader.pos + 8 > end) throw this.error('double runs past the end of its message');
          this.number(reader.double());
          break;
        case STRING_TAG: {
          const stop = fieldEnd(reader, end);
          this.string(reader.pos, stop);
          reader.pos = stop;
          break;
        }
        case BOOL_TAG:
          this.bool(reader.bool());
          assertWithin(reader, end);
          break;
        case STRUCT_TAG:
          this.struct(fieldEnd(reader, end), depth + 1);
          break;
        case LIST_TAG:
          this.list(fieldEnd(reader, end), depth + 1);
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

  /** An error that says where. */
  protected error(what: string): WireError {
    return wireError(this.reader, what);
  }
}
