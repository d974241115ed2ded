/**
 * The validator's building blocks: one check per kind of field (label,
 * event id, free text, URI, number, enum, timestamp), each appending a
 * FieldViolation to the record's list when the value breaks its rule. Pure:
 * no I/O, no clock. Paths are built only when a violation is reported.
 */
import type { FieldViolation } from '../gen/tributary/ingest/v1/ingest_service';
import { Reason, type ReasonCode } from './reasons';

/** The violations found in one record, in the order the checks ran. */
export type Violations = FieldViolation[];

// Control characters are what these two patterns exist to find.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f-\u009f]/;
const NOT_BLANK = /\S/;
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

/** Appends one violation. */
export function report(out: Violations, field: string, reason: ReasonCode, message: string): void {
  out.push({ field, reason, message });
}

/** Checks a string's length; returns whether it fits. */
export function checkLength(value: string, field: string, max: number, out: Violations): boolean {
  if (value.length <= max) return true;
  report(out, field, Reason.TOO_LONG, `${field} must be at most ${max} characters; it has ${value.length}.`);
  return false;
}

/**
 * Checks a label: an identifier or a short single-line string. Empty is
 * allowed unless `requirement` says when it is required (for example
 * "for identify"); a set value must not be blank, must fit `max` and must
 * contain no control characters.
 */
export function checkLabel(value: string | undefined, field: string, requirement: string | undefined, max: number, out: Violations): void {
  if (value === undefined || value === '') {
    if (requirement !== undefined) report(out, field, Reason.REQUIRED, `${field} is required ${requirement}.`);
    return;
  }
  if (!NOT_BLANK.test(value)) {
    report(out, field, Reason.REQUIRED, `${field} must not be blank.`);
    return;
  }
  if (checkLength(value, field, max, out) && CONTROL.test(value)) {
    report(out, field, Reason.INVALID_FORMAT, `${field} must not contain control characters.`);
  }
}

/** Checks an event id: required, at most `max` characters, no whitespace or control characters. */
export function checkEventId(value: string, max: number, out: Violations): void {
  const field = 'event_id';
  if (value === '') {
    report(out, field, Reason.REQUIRED, 'event_id is required for every record.');
    return;
  }
  if (checkLength(value, field, max, out) && WHITESPACE_OR_CONTROL.test(value)) {
    report(out, field, Reason.INVALID_FORMAT, 'event_id must not contain whitespace or control characters.');
  }
}

/** Checks an optional absolute URI (a scheme, a colon, no whitespace) of at most `max` characters. */
export function checkUri(value: string, field: string, max: number, out: Violations): void {
  if (value === '' || !checkLength(value, field, max, out)) return;
  if (!ABSOLUTE_URI.test(value)) {
    report(out, field, Reason.INVALID_FORMAT, `${field} must be an absolute URI such as https://example.com/x.`);
  }
}

/** Checks an optional number: finite, and within [min, max] when set. */
export function checkNumber(value: number | undefined, field: string, min: number, max: number, out: Violations): void {
  if (value === undefined) return;
  if (!Number.isFinite(value)) {
    report(out, field, Reason.INVALID_VALUE, `${field} must be a finite number.`);
  } else if (value < min || value > max) {
    report(out, field, Reason.OUT_OF_RANGE, `${field} must be from ${min} to ${max}; it is ${value}.`);
  }
}

/**
 * Checks an enum value: one the contract defines (not UNRECOGNIZED, -1), and
 * not the zero value when `requirement` says it is required.
 */
export function checkEnum(value: number, values: { readonly [value: number]: string | undefined }, field: string, requirement: string | undefined, out: Violations): void {
  if (value === 0) {
    if (requirement !== undefined) report(out, field, Reason.REQUIRED, `${field} is required ${requirement}.`);
  } else if (value < 0 || values[value] === undefined) {
    report(out, field, Reason.INVALID_VALUE, `${field} has a value this contract does not define.`);
  }
}

/**
 * Checks that a timestamp is set when `requirement` says so and is a real
 * instant; returns its milliseconds since the epoch, or undefined when it is
 * absent or invalid.
 */
export function checkTimestamp(value: Date | undefined, field: string, requirement: string | undefined, out: Violations): number | undefined {
  if (value === undefined) {
    if (requirement !== undefined) report(out, field, Reason.REQUIRED, `${field} is required ${requirement}.`);
    return undefined;
  }
  const ms = value.getTime();
  if (Number.isNaN(ms)) {
    report(out, field, Reason.INVALID_FORMAT, `${field} must be an RFC 3339 timestamp.`);
    return undefined;
  }
  return ms;
}
