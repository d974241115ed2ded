/**
 * Strings that are not Unicode, in the records the JSON doors make. JSON can
 * carry a lone surrogate ("\ud800"), which no UTF-8 encoder can write: the
 * protobuf encoder would store U+FFFD in its place, and two distinct ids
 * could become one. So a record is checked before it is encoded, and the
 * first field holding such a string is named by its contract path; for a
 * free-form payload (a key or a value anywhere in it), the payload field.
 */
import type { Record } from '../../gen/tributary/ingest/v1/record';

/** A UTF-16 code unit of a surrogate pair standing alone: in a `u` pattern, a whole pair is one code point, never matched. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** The fields of the contract's messages that hold a free-form payload (google.protobuf.Struct, plain objects in ts-proto). */
const PAYLOADS = new Set(['data', 'userAttributes', 'accountAttributes']);

const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
const child = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);
const isOneof = (value: unknown): value is { $case: string; value: unknown } => typeof value === 'object' && value !== null && '$case' in value;

/** Whether a payload holds a key or a string that is not Unicode. */
function payloadIllFormed(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.some(payloadIllFormed);
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([key, member]) => LONE_SURROGATE.test(key) || payloadIllFormed(member));
}

/** The path of the first string in `value` (a field at `path` of a message) that is not Unicode, or undefined. */
function illFormedIn(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = illFormedIn(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null || value instanceof Date) return undefined;
  for (const [name, member] of Object.entries(value)) {
    const found = PAYLOADS.has(name)
      ? payloadIllFormed(member)
        ? child(path, snakeCase(name))
        : undefined
      : isOneof(member)
        ? illFormedIn(member.value, child(path, snakeCase(member.$case)))
        : illFormedIn(member, child(path, snakeCase(name)));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The contract path (`event.profile_id`, `event.track.data`) of the first string of `record` that is not Unicode, or undefined. */
export const illFormedField = (record: Record): string | undefined => illFormedIn(record, '');
