/**
 * The gateway's check of a free-form payload (google.protobuf.Struct) on the
 * wire: one walk (struct-walk.ts) that says whether the payload is plainly
 * within the contract's limits, without building objects or strings.
 *
 * The answer errs one way only. "Within" means the object validator
 * (struct-checks.ts) finds nothing in what the generated decoder would make
 * of these bytes, and that the strict decoder reads them. "Not plainly
 * within" means the record takes the object path, which names each violation
 * exactly; it is the answer for every payload that breaks a limit, and for
 * some that do not:
 * - what the object path drops or overrides (a repeated key, an entry with
 *   no kind, an overridden value, the key "__proto__", which the generated
 *   decoder assigns as a prototype) is counted and checked all the same;
 * - an entry without a key is not plain;
 * - bytes that are malformed, not UTF-8, or nested past the decoder's bound
 *   are not plain: the strict decoder decides what they are.
 * Lengths count UTF-16 code units, as the object validator does.
 */
import { isUtf8 } from 'node:buffer';
import type { ValidationLimits } from '../limits';
import { StructWalk } from './struct-walk';

/** Thrown inside the walk at the first thing that is not plain; never escapes. */
const NOT_PLAIN = Symbol('not plain');

/**
 * Whether the Struct encoded in bytes[start, end), opened inside `enclosing`
 * messages of its record, is plainly within `limits` (see the file's header).
 */
export function structWithinLimits(bytes: Uint8Array, start: number, end: number, enclosing: number, limits: ValidationLimits): boolean {
  try {
    new LimitScan(bytes, start, limits).struct(end, enclosing);
    return true;
  } catch {
    // NOT_PLAIN, a WireError or BinaryReader's own errors: the object path decides.
    return false;
  }
}

/** The walk that checks each thing found against the limits, and stops at the first that is not plain. */
class LimitScan extends StructWalk {
  /** Struct and ListValue levels open; the payload itself is 1. */
  private level = 0;
  /** Entries so far: keys plus list items, at every level. */
  private entries = 0;

  constructor(
    bytes: Uint8Array,
    start: number,
    private readonly limits: ValidationLimits,
  ) {
    super(bytes, start);
  }

  protected openObject(): void {
    this.open();
  }

  protected openList(): void {
    this.open();
  }

  protected closeObject(): void {
    this.level--;
  }

  protected closeList(): void {
    this.level--;
  }

  protected member(keyStart: number, keyEnd: number, end: number, depth: number): void {
    this.count();
    if (keyStart < 0 || keyEnd === keyStart) throw NOT_PLAIN;
    this.text(keyStart, keyEnd, this.limits.maxKeyLength);
    this.value(end, depth);
  }

  /** The strict decoder reads a skipped key too, and refuses one that is not UTF-8. */
  protected skippedKey(start: number, stop: number): void {
    this.utf8(start, stop);
  }

  protected item(end: number, depth: number): void {
    this.count();
    this.value(end, depth);
  }

  protected nullValue(): void {}

  protected number(x: number): void {
    if (!Number.isFinite(x)) throw NOT_PLAIN;
  }

  protected string(start: number, stop: number): void {
    this.text(start, stop, this.limits.maxTextLength);
  }

  protected bool(): void {}

  protected mark(): number {
    return 0;
  }

  protected rollback(): void {}

  private open(): void {
    if (++this.level > this.limits.maxStructDepth) throw NOT_PLAIN;
  }

  private count(): void {
    if (++this.entries > this.limits.maxStructEntries) throw NOT_PLAIN;
  }

  /** Checks that bytes[start, stop) are UTF-8 of at most `max` UTF-16 code units. */
  private text(start: number, stop: number, max: number): void {
    const ascii = this.utf8(start, stop);
    // A UTF-8 string has no more UTF-16 code units than bytes, so only a long one is counted.
    if (stop - start > max && (ascii ? stop - start : utf16Length(this.bytes, start, stop)) > max) throw NOT_PLAIN;
  }

  /** Checks that bytes[start, stop) are UTF-8; says whether they are ASCII. */
  private utf8(start: number, stop: number): boolean {
    const { bytes } = this;
    for (let i = start; i < stop; i++) {
      if (bytes[i] >= 0x80) {
        if (!isUtf8(bytes.subarray(start, stop))) throw NOT_PLAIN;
        return false;
      }
    }
    return true;
  }
}

/** The UTF-16 length of the valid UTF-8 in bytes[start, stop): one unit per character, two for one of four bytes. */
function utf16Length(bytes: Uint8Array, start: number, stop: number): number {
  let units = 0;
  for (let i = start; i < stop; i++) {
    const b = bytes[i];
    if ((b & 0xc0) !== 0x80) units += b >= 0xf0 ? 2 : 1;
  }
  return units;
}
