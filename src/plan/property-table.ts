/**
 * A payload rule's declared properties, found by the UTF-8 bytes of a key as
 * it lies in an encoded Struct, so that the wire check (wire-plan-check.ts)
 * decodes no key that the plan declares.
 *
 * The table is laid out for a cold cache: on the gateway's hot path the
 * check of one record runs between much other work, and a lookup that
 * chases objects (a Map, its entries, a key's own buffer) misses the cache at
 * each step. Here a lookup reads one slot of an open-addressed Int32Array and
 * compares the key against one Uint8Array holding every key end to end.
 * Which required properties one check has seen is kept in a scratch array
 * that each check starts anew (checks run one at a time: they are
 * synchronous). What most members need to know of their rule, the JSON type
 * it takes and whether it has any other keyword, is kept in two more arrays,
 * so that a value that keeps to a rule of its type alone never reads the
 * rule.
 */
import { JSON_TYPES, type PropertyRule } from './plan';

/** FNV-1a over bytes[start, end). */
function hashOf(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h;
}

/** The declared properties of one payload rule, by key bytes, with the seen-marks of the check under way. */
export class PropertyTable {
  /** Each property's key, by slot. */
  readonly names: readonly string[];
  /** Each property's rule, by slot. */
  readonly rules: readonly PropertyRule[];
  /** The slots of the required properties. */
  readonly requiredSlots: readonly number[];
  /** The code (index in JSON_TYPES) of the JSON type each slot's value must have: an integer is a number. */
  readonly kinds: Uint8Array;
  /** 1 at a slot whose rule has no keyword but its type, and a type that any value of its JSON type keeps (not integer). */
  readonly bare: Uint8Array;
  /** 1 at the slot of a required property. */
  private readonly required: Uint8Array;
  /** Open addressing by hash, at most half full: slot + 1 of the property there, 0 for none. */
  private readonly index: Int32Array;
  /** Every key's UTF-8, end to end: slot s's is keys[starts[s], starts[s + 1]). */
  private readonly keys: Uint8Array;
  private readonly starts: Int32Array;
  /** The check that saw each required slot last; a slot is seen by the current check when it holds {@link check}. */
  private readonly seenBy: Uint32Array;
  private check = 0;

  /** The table of `properties` (whose names UTF-8 can carry: no lone surrogate), `required` among them. */
  constructor(properties: ReadonlyMap<string, PropertyRule>, required: readonly string[]) {
    this.names = [...properties.keys()];
    this.rules = [...properties.values()];
    this.required = Uint8Array.from(this.names, (name) => (required.includes(name) ? 1 : 0));
    this.requiredSlots = required.map((name) => this.names.indexOf(name));
    this.kinds = Uint8Array.from(this.rules, (rule) => JSON_TYPES.indexOf(rule.type === 'integer' ? 'number' : rule.type));
    this.bare = Uint8Array.from(this.rules, (rule) => (rule.type !== 'integer' && Object.entries(rule).every(([keyword, value]) => keyword === 'type' || value === undefined) ? 1 : 0));
    this.seenBy = new Uint32Array(this.names.length);
    const encoded = this.names.map((name) => Buffer.from(name, 'utf8'));
    this.keys = Buffer.concat(encoded);
    this.starts = new Int32Array(this.names.length + 1);
    encoded.forEach((key, slot) => (this.starts[slot + 1] = this.starts[slot] + key.length));
    let capacity = 8;
    while (capacity < 2 * this.names.length) capacity *= 2;
    this.index = new Int32Array(capacity);
    encoded.forEach((key, slot) => {
      let at = hashOf(key, 0, key.length) & (capacity - 1);
      while (this.index[at] !== 0) at = (at + 1) & (capacity - 1);
      this.index[at] = slot + 1;
    });
  }

  /** The slot of the property whose key is bytes[start, end), or -1 for a key the table does not hold. */
  find(bytes: Uint8Array, start: number, end: number): number {
    const { index, keys, starts } = this;
    const mask = index.length - 1;
    for (let at = hashOf(bytes, start, end) & mask; ; at = (at + 1) & mask) {
      const slot = index[at] - 1;
      if (slot < 0) return -1;
      const from = starts[slot];
      if (starts[slot + 1] - from !== end - start) continue;
      let same = true;
      for (let i = start; same && i < end; i++) same = keys[from + i - start] === bytes[i];
      if (same) return slot;
    }
  }

  /** Starts a check: no property is seen. */
  begin(): void {
    if (++this.check === 0xffffffff) {
      this.seenBy.fill(0);
      this.check = 1;
    }
  }

  /** Notes that the property at `slot` came, when the rule requires it. */
  saw(slot: number): void {
    if (this.required[slot] === 1) this.seenBy[slot] = this.check;
  }

  /** Whether the required property at `slot` came in the current check. */
  seen(slot: number): boolean {
    return this.seenBy[slot] === this.check;
  }
}
