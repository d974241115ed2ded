/**
 * The check of free-form payloads (google.protobuf.Struct, which ts-proto
 * gives as plain objects): depth, entry count, key length and string length,
 * in one walk that stops at the first breach of depth or count. A member's
 * path is built only when it is reported or descended into.
 */
import type { ValidationLimits } from './limits';
import { Reason } from './reasons';
import { checkLength, report, type Violations } from './field-checks';

type StructObject = { readonly [key: string]: unknown };

/** The state of one walk over one Struct. */
class StructWalk {
  private entries = 0;
  private stopped = false;

  constructor(
    private readonly root: string,
    private readonly limits: ValidationLimits,
    private readonly out: Violations,
  ) {}

  /** Walks the members of an object at `depth` (the Struct itself is 1). */
  object(value: StructObject, path: string, depth: number): void {
    if (!this.enter(path, depth)) return;
    const { maxKeyLength } = this.limits;
    for (const key in value) {
      if (!this.count()) return;
      if (key === '') {
        report(this.out, path, Reason.INVALID_VALUE, `${path} must not have an empty key.`);
      } else if (key.length > maxKeyLength) {
        report(this.out, path, Reason.TOO_LONG, `${path} has a key of ${key.length} characters; keys may have at most ${maxKeyLength}.`);
        continue;
      }
      this.member(value[key], path, key, depth);
      if (this.stopped) return;
    }
  }

  private list(value: readonly unknown[], path: string, depth: number): void {
    if (!this.enter(path, depth)) return;
    for (let i = 0; i < value.length; i++) {
      if (!this.count()) return;
      this.member(value[i], path, i, depth);
      if (this.stopped) return;
    }
  }

  /** Checks one member, named by `key` (an object key or a list index) within `parent`. */
  private member(value: unknown, parent: string, key: string | number, depth: number): void {
    if (typeof value === 'string') {
      if (value.length > this.limits.maxTextLength) checkLength(value, pathOf(parent, key), this.limits.maxTextLength, this.out);
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) report(this.out, pathOf(parent, key), Reason.INVALID_VALUE, `${pathOf(parent, key)} must be a finite number.`);
    } else if (Array.isArray(value)) {
      this.list(value, pathOf(parent, key), depth + 1);
    } else if (value !== null && typeof value === 'object') {
      this.object(value as StructObject, pathOf(parent, key), depth + 1);
    }
  }

  private enter(path: string, depth: number): boolean {
    if (depth <= this.limits.maxStructDepth) return true;
    report(this.out, path, Reason.TOO_DEEP, `${path} is ${depth} levels deep; ${this.root} may nest at most ${this.limits.maxStructDepth}.`);
    this.stopped = true;
    return false;
  }

  private count(): boolean {
    if (++this.entries <= this.limits.maxStructEntries) return true;
    report(this.out, this.root, Reason.TOO_MANY_ENTRIES, `${this.root} may have at most ${this.limits.maxStructEntries} entries (keys plus list items).`);
    this.stopped = true;
    return false;
  }
}

const pathOf = (parent: string, key: string | number): string => (typeof key === 'number' ? `${parent}[${key}]` : `${parent}.${key}`);

/** Checks an optional Struct payload against the limits. */
export function checkStruct(value: StructObject | undefined, field: string, limits: ValidationLimits, out: Violations): void {
  if (value !== undefined) new StructWalk(field, limits, out).object(value, field, 1);
}
