/**
 * An open-addressing hash table from hashed ids to int32 values, held in
 * typed arrays instead of a Map: a million ids are a few flat buffers the
 * garbage collector never traces (a Map of them is a million strings and
 * their values, which every full collection marks, and which cost the
 * gateway's hot path more the more decisions the ledger holds). Keys are
 * hashed ids in IdHasher.binary's form (32 one-byte characters), which are
 * uniformly random, so their first bytes are the slot; collisions probe
 * linearly. Removed keys leave a tombstone until the next growth.
 */

/** Bytes of a key. */
const KEY_BYTES = 32;
/** A slot that never held a key. */
const EMPTY = -1;
/** A slot whose key was removed. */
const REMOVED = -2;
/** Slots in a new table. */
const INITIAL_SLOTS = 1024;
/** Used slots (live and removed) past which the table grows. */
const MAX_LOAD = 0.6;

/** Hashed ids to non-negative int32 values. */
export class HashedIdTable {
  private keys = new Uint8Array(INITIAL_SLOTS * KEY_BYTES);
  private values = new Int32Array(INITIAL_SLOTS).fill(EMPTY);
  private used = 0;
  private live = 0;

  /** How many keys it holds. */
  get size(): number {
    return this.live;
  }

  /** The value of `key`, or undefined (as for a key that is not 32 bytes). */
  get(key: string): number | undefined {
    if (key.length !== KEY_BYTES) return undefined;
    const slot = this.find(key);
    return this.values[slot] >= 0 ? this.values[slot] : undefined;
  }

  /** Sets the value (0 to 2^31 - 1) of `key`. */
  set(key: string, value: number): void {
    if (key.length !== KEY_BYTES) throw new Error(`a hashed id is ${KEY_BYTES} bytes, not ${key.length}`);
    if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw new Error(`a value is 0 to 2^31 - 1, not ${value}`);
    let slot = this.find(key);
    if (this.values[slot] < 0) {
      if ((this.used + 1) / this.values.length > MAX_LOAD) {
        this.grow();
        slot = this.find(key);
      }
      // A key is put in the first free slot of its run: an empty one, unless a removed one comes first.
      const free = this.firstFree(key);
      if (this.values[free] === EMPTY) this.used++;
      slot = free;
      this.live++;
      for (let i = 0; i < KEY_BYTES; i++) this.keys[slot * KEY_BYTES + i] = key.charCodeAt(i);
    }
    this.values[slot] = value;
  }

  /** Removes `key`; gives the value it had, or undefined. */
  delete(key: string): number | undefined {
    if (key.length !== KEY_BYTES) return undefined;
    const slot = this.find(key);
    const value = this.values[slot];
    if (value < 0) return undefined;
    this.values[slot] = REMOVED;
    this.live--;
    return value;
  }

  /** The slot holding `key`, or the empty slot that ends its run. */
  private find(key: string): number {
    const mask = this.values.length - 1;
    for (let slot = this.start(key, mask); ; slot = (slot + 1) & mask) {
      const value = this.values[slot];
      if (value === EMPTY) return slot;
      if (value >= 0 && this.holds(slot, key)) return slot;
    }
  }

  /** The first removed or empty slot of `key`'s run. */
  private firstFree(key: string): number {
    const mask = this.values.length - 1;
    let slot = this.start(key, mask);
    while (this.values[slot] >= 0) slot = (slot + 1) & mask;
    return slot;
  }

  private start(key: string, mask: number): number {
    return (key.charCodeAt(0) | (key.charCodeAt(1) << 8) | (key.charCodeAt(2) << 16) | (key.charCodeAt(3) << 24)) & mask;
  }

  private holds(slot: number, key: string): boolean {
    const at = slot * KEY_BYTES;
    for (let i = 0; i < KEY_BYTES; i++) if (this.keys[at + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  /** Doubles the slots (or rebuilds at the same size when removed keys fill them), dropping the tombstones. */
  private grow(): void {
    const { keys, values } = this;
    const slots = this.live * 2 > values.length * MAX_LOAD ? values.length * 2 : values.length;
    this.keys = new Uint8Array(slots * KEY_BYTES);
    this.values = new Int32Array(slots).fill(EMPTY);
    this.used = 0;
    this.live = 0;
    for (let slot = 0; slot < values.length; slot++) {
      if (values[slot] < 0) continue;
      this.set(String.fromCharCode(...keys.subarray(slot * KEY_BYTES, (slot + 1) * KEY_BYTES)), values[slot]);
    }
  }
}
