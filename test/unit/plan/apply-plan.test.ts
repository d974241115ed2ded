/**
 * What each mode does with a record that breaks its plan: `report` keeps
 * the bytes as sent, `omit` removes exactly the offending properties but a
 * required one (and reports what no removal mends), `block` rejects; a
 * record that keeps to the plan meets nothing; at most MAX_PLAN_VIOLATIONS
 * of a record are answered.
 */
import { decodeRecord, DEFAULT_LIMITS } from '../../../src/contract';
import { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { applyPlan, MAX_PLAN_VIOLATIONS } from '../../../src/plan/apply-plan';
import { parsePlan } from '../../../src/plan/parse-plan';

const plan = parsePlan(
  'plan.json',
  JSON.stringify({
    version: '7',
    track: {
      'Order Completed': {
        properties: { total: { type: 'number' }, currency: { type: 'string', enum: ['USD', 'EUR'] }, coupon: { type: 'string' } },
        required: ['total', 'coupon'],
        additionalProperties: false,
      },
    },
  }),
);

const order = (data: object) =>
  Record.encode(
    Record.fromPartial({
      eventId: 'evt_1',
      timestamp: new Date('2026-12-05T00:00:00Z'),
      kind: { $case: 'event', value: { profileId: 'p1', call: { $case: 'track', value: { name: 'Order Completed', data } } } },
    }),
  ).finish();

/** The verdict of `plan` in `mode` on `bytes`, read as the gateway reads them. */
function verdict(mode: 'report' | 'omit' | 'block', bytes: Uint8Array) {
  const decoded = decodeRecord(bytes, DEFAULT_LIMITS);
  if (!('record' in decoded)) throw new Error('did not decode');
  return applyPlan(plan, mode, decoded.record, bytes, decoded.payload);
}

const dataOf = (bytes: Uint8Array) => {
  const kind = Record.decode(bytes).kind;
  return kind?.$case === 'event' && kind.value.call?.$case === 'track' ? kind.value.call.value.data : undefined;
};

it('leaves a record that keeps to the plan alone', () => {
  expect(verdict('block', order({ total: 12.5, currency: 'EUR', coupon: 'X' }))).toBeUndefined();
});

it('reports, omits or blocks a record that breaks it', () => {
  const bytes = order({ total: '12.50', currency: 'usd', cart: [1], note: { a: 1 } });
  const report = verdict('report', bytes);
  expect(report?.bytes).toBe(bytes);
  expect(report?.blocked).toBe(false);
  expect(report?.judged.map(({ violation, action }) => [violation.field, violation.reason, action])).toEqual([
    ['event.track.data.cart', 'ADDITIONAL_PROPERTY', 'REPORTED'],
    ['event.track.data.coupon', 'REQUIRED_MISSING', 'REPORTED'],
    ['event.track.data.currency', 'ENUM', 'REPORTED'],
    ['event.track.data.note', 'ADDITIONAL_PROPERTY', 'REPORTED'],
    ['event.track.data.total', 'DATATYPE_MISMATCH', 'REPORTED'],
  ]);
  expect(report?.judged.find(({ violation }) => violation.reason === 'DATATYPE_MISMATCH')?.violation.message).toBe('expected number, got string');

  const omit = verdict('omit', bytes);
  // total is required: removing it would break the plan another way, so its wrong type is reported, and it stays.
  expect(omit?.judged.map(({ violation, action }) => [violation.field, action])).toEqual([
    ['event.track.data.cart', 'OMITTED'],
    ['event.track.data.coupon', 'REPORTED'],
    ['event.track.data.currency', 'OMITTED'],
    ['event.track.data.note', 'OMITTED'],
    ['event.track.data.total', 'REPORTED'],
  ]);
  expect(dataOf(omit?.bytes ?? new Uint8Array())).toEqual({ total: '12.50' });
  const kept = verdict('omit', order({ total: 3, currency: 'usd', coupon: 'X' }));
  expect(dataOf(kept?.bytes ?? new Uint8Array())).toEqual({ total: 3, coupon: 'X' });

  const block = verdict('block', bytes);
  expect(block?.blocked).toBe(true);
  expect(block?.judged.every(({ action }) => action === 'BLOCKED')).toBe(true);
});

it('answers at most MAX_PLAN_VIOLATIONS of a record, and omits every offending property all the same', () => {
  const extra = Object.fromEntries(Array.from({ length: MAX_PLAN_VIOLATIONS + 5 }, (_, i) => [`x${String(i).padStart(2, '0')}`, i]));
  const omit = verdict('omit', order({ total: 1, coupon: 'X', ...extra }));
  expect(omit?.judged).toHaveLength(MAX_PLAN_VIOLATIONS);
  expect(dataOf(omit?.bytes ?? new Uint8Array())).toEqual({ total: 1, coupon: 'X' });
});
