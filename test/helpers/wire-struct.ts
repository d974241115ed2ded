/**
 * Payloads built on the wire, entry by entry, for the differential tests of
 * the wire readers (test/unit/contract/wire-validation.test.ts,
 * test/unit/plan/plan-check-agreement.test.ts): a Struct may carry repeated
 * keys, entries without a key or a kind, and strings that are not UTF-8,
 * which no object can be encoded into.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';

/** A Value as built on the wire: a kind, or none (an empty Value, which a Struct entry or list item holds as a Value with no kind). */
export type WireValue =
  | { readonly none: true }
  | { readonly null: true }
  | { readonly number: number }
  | { readonly string: string | Uint8Array }
  | { readonly bool: boolean }
  | { readonly struct: WireEntries }
  | { readonly list: readonly (WireValue | undefined)[] };
/**
 * A Struct's entries in wire order; a key or value may be missing (an entry without a value field, which the decoders
 * drop). A string given as bytes need not be UTF-8. A third element is a value written before the entry's value, which
 * that one overrides.
 */
export type WireEntries = readonly (readonly [string | Uint8Array | undefined, WireValue | undefined, (WireValue | undefined)?])[];

/** The bytes `build` writes. */
export const bytesOf = (build: (w: BinaryWriter) => unknown): Uint8Array => {
  const w = new BinaryWriter();
  build(w);
  return w.finish();
};
/** A length-delimited field with `tag` (number and wire type) holding `bytes`. */
export const field = (tag: number, bytes: Uint8Array): Uint8Array => bytesOf((w) => w.uint32(tag).bytes(bytes));
/** `parts` end to end. */
export const concat = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);
/** A string field, written from a string or as given bytes (which need not be UTF-8). */
export const stringField = (tag: number, s: string | Uint8Array): Uint8Array => (typeof s === 'string' ? bytesOf((w) => w.uint32(tag).string(s)) : field(tag, s));

/** A google.protobuf.Value as `value` builds it (empty when undefined). */
export function encodeValue(value: WireValue | undefined): Uint8Array {
  if (value === undefined || 'none' in value) return new Uint8Array(0);
  if ('null' in value) return bytesOf((w) => w.uint32(8).int32(0));
  if ('number' in value) return bytesOf((w) => w.uint32(17).double(value.number));
  if ('string' in value) return stringField(26, value.string);
  if ('bool' in value) return bytesOf((w) => w.uint32(32).bool(value.bool));
  if ('struct' in value) return field(42, encodeStruct(value.struct));
  return field(50, concat(...value.list.map((item) => field(10, encodeValue(item)))));
}

/** A google.protobuf.Struct of `entries`, in their order. */
export function encodeStruct(entries: WireEntries): Uint8Array {
  return concat(
    ...entries.map(([key, value, earlier]) =>
      field(
        10,
        concat(
          key === undefined ? new Uint8Array(0) : stringField(10, key),
          earlier === undefined ? new Uint8Array(0) : field(18, encodeValue(earlier)),
          value === undefined ? new Uint8Array(0) : field(18, encodeValue(value)),
        ),
      ),
    ),
  );
}
