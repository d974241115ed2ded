/**
 * Reading the loose JSON that HTTP clients send: objects, ids that may be
 * numbers, and free-form bags that must be objects. A bag that is not one is
 * a MappingProblem, which the door turns into the record's violation.
 */
import { createHash } from 'node:crypto';
import type { FieldViolation } from '../../gen/tributary/ingest/v1/ingest_service';

/** A JSON object. */
export type JsonObject = { [key: string]: unknown };

/** Whether `value` is a JSON object (not an array, not null). */
export const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A part of a message that cannot become a record's field, with the violation to answer. */
export class MappingProblem extends Error {
  constructor(readonly violation: FieldViolation) {
    super(violation.message);
    this.name = 'MappingProblem';
  }
}

/** A string field: strings as they are, numbers as their text, anything else empty. */
export const text = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : '');

/** A free-form bag: undefined when absent or null, the object when it is one; anything else is a MappingProblem naming `field`. */
export function bag(value: unknown, field: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (isObject(value)) return value;
  throw new MappingProblem({ field, reason: 'INVALID_VALUE', message: `${field} must be a JSON object.` });
}

/** A date from RFC 3339 text (a request's sentAt); undefined when absent or not a date. */
export function rfc3339(value: unknown): Date | undefined {
  const date = typeof value === 'string' ? new Date(value) : undefined;
  return date !== undefined && !Number.isNaN(date.getTime()) ? date : undefined;
}

/** A date from epoch milliseconds (a number or its text); an Invalid Date when it is neither, undefined when absent. */
export function epochMs(value: unknown): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return new Date(typeof value === 'number' ? value : /^-?\d+$/.test(String(value)) ? Number(value) : Number.NaN);
}

/** An event id derived from content that has none: `prefix`, a dash, and the first 32 hex digits of the SHA-256 of its JSON, so that a retry is a DUPLICATE. */
export const contentId = (prefix: string, content: unknown): string =>
  `${prefix}-${createHash('sha256')
    .update(JSON.stringify(content) ?? '')
    .digest('hex')
    .slice(0, 32)}`;
