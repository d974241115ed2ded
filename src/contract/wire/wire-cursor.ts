/**
 * The one wire cursor of the hand-written readers: record-fields.ts (the
 * gateway's records), struct-walk.ts (the Struct walk under the JSON writer
 * and the limit scan) and src/sink/envelope-row.ts (the sink's rows). The
 * cursor is @bufbuild/protobuf's BinaryReader, whose `pos` it is and which
 * reads the varints, doubles and strings; this module holds what the readers
 * do around it, each of which used to do it its own way: tags made from the
 * named field numbers of field-numbers.ts, length prefixes held to the end of
 * their message, and the skipping of fields a reader does not take. They are
 * functions of the reader rather than a class around it: a reader class that
 * extends a cursor class costs every walk a constructor more.
 *
 * Readers match whole tags, number and wire type at once, so a known field
 * number with another wire type is skipped as an unknown field, as ts-proto's
 * generated decoders skip it; a group is skipped to the next end-group tag,
 * whatever its number, as they skip it too. Refused with a WireError that
 * names the byte: field number 0, a stray end-group tag, wire types 6 and 7,
 * a length or a field running past the end of its message (the generated
 * decoders stop a message at tag 0 or an end-group tag, and let a field
 * overrun its message). BinaryReader throws its own errors at a premature end
 * of the bytes and an overlong varint.
 */
import { WireType, type BinaryReader } from '@bufbuild/protobuf/wire';
import type { FieldNumbers } from './field-numbers';

/** Malformed bytes, or nesting past a reader's bound: the message says what and at which byte. */
export class WireError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WireError';
  }
}

/** A WireError saying `what` is wrong at the reader's byte. */
export const wireError = (reader: BinaryReader, what: string): WireError => new WireError(`${what} at byte ${reader.pos}`);

/**
 * The tags of a message's fields, named as its field numbers `numbers` are:
 * each number with the wire type its field is read with, length-delimited
 * unless `wireTypes` gives another. Readers make their tags once, as their
 * module loads: a tag made on the hot path costs a call, and a getter for
 * the WireType that the package re-exports.
 */
export function tagsOf<F extends FieldNumbers>(numbers: F, wireTypes: { readonly [K in keyof F]?: WireType } = {}): { readonly [K in keyof F]: number } {
  const tags = {} as { [K in keyof F]: number };
  for (const name of Object.keys(numbers) as (keyof F)[]) tags[name] = (numbers[name] << 3) | (wireTypes[name] ?? WireType.LengthDelimited);
  return tags;
}

/** Reads a length prefix; returns where the length-delimited field ends, which is not past `end`, the end of its message. */
export function fieldEnd(reader: BinaryReader, end: number): number {
  const stop = reader.uint32() + reader.pos;
  if (stop > end) throw wireError(reader, 'length runs past the end of its message');
  return stop;
}

/** Skips the value of a field, read with `tag`, that the reader does not take, in a message that ends at `end`. */
export function skipField(reader: BinaryReader, tag: number, end: number): void {
  const wireType = tag & 7;
  if (tag >>> 3 === 0 || wireType === WireType.EndGroup || wireType > WireType.Bit32) throw wireError(reader, `illegal tag ${tag}`);
  reader.skip(wireType);
  assertWithin(reader, end);
}

/** Throws when the last field read ran past `end`, the end of its message. */
export function assertWithin(reader: BinaryReader, end: number): void {
  if (reader.pos > end) throw wireError(reader, 'field runs past the end of its message');
}
