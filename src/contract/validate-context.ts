/**
 * The check of an event's Context: every string in it, at any depth, fits the
 * text limit, and the IP address, when set, is an IPv4 or IPv6 address.
 */
import { isIP } from 'node:net';
import type { Context } from '../gen/tributary/ingest/v1/record';
import type { ValidationLimits } from './limits';
import { Reason } from './reasons';
import { checkLength, report, type Violations } from './field-checks';

const snakeCase = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function checkStrings(value: object, path: string, max: number, out: Violations): void {
  for (const key in value) {
    const member: unknown = value[key as keyof typeof value];
    if (typeof member === 'string') {
      if (member.length > max) checkLength(member, `${path}.${snakeCase(key)}`, max, out);
    } else if (member !== null && typeof member === 'object') {
      checkStrings(member, `${path}.${snakeCase(key)}`, max, out);
    }
  }
}

/** Checks an event's optional context. */
export function checkContext(context: Context | undefined, limits: ValidationLimits, out: Violations): void {
  if (context === undefined) return;
  checkStrings(context, 'event.context', limits.maxTextLength, out);
  if (context.ip !== '' && isIP(context.ip) === 0) {
    report(out, 'event.context.ip', Reason.INVALID_FORMAT, 'event.context.ip must be an IPv4 or IPv6 address.');
  }
}
