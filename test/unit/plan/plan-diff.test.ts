/**
 * `plan check`'s judgement: each breaking change the issue names is caught
 * (a property becomes required, a type narrows, an enum loses a value, an
 * event is removed while unplanned events are blocked), and so are the
 * others; what only widens is compatible.
 */
import { parsePlan } from '../../../src/plan/parse-plan';
import { breakingChanges } from '../../../src/plan/plan-diff';

const plan = (body: object) => parsePlan('plan.json', JSON.stringify({ version: '1', ...body }));

const base = {
  track: {
    'Order Completed': {
      properties: { total: { type: 'number', minimum: 0 }, currency: { type: 'string', enum: ['USD', 'EUR'] }, note: { type: 'string' } },
      required: ['total'],
    },
    'Signed Up': { properties: {} },
  },
  identify: { properties: { email: { type: 'string', format: 'email' } } },
};

/** `base` with `change` made to the Order Completed event's payload. */
const withOrder = (change: (order: (typeof base.track)['Order Completed']) => object) => ({
  ...base,
  track: { ...base.track, 'Order Completed': change(structuredClone(base.track['Order Completed'])) },
});

it('passes a plan against itself and against one that only widens', () => {
  expect(breakingChanges(plan(base), plan(base))).toEqual([]);
  const wider = withOrder((order) => ({ ...order, required: [], properties: { ...order.properties, total: { type: 'number' }, currency: { type: 'string', enum: ['USD', 'EUR', 'GBP'] } } }));
  expect(breakingChanges(plan(base), plan({ ...wider, track: { ...wider.track, Refunded: { properties: {} } } }))).toEqual([]);
});

it.each([
  ['a property becomes required', withOrder((order) => ({ ...order, required: ['total', 'currency'] })), 'track["Order Completed"].currency: becomes required'],
  ['a type narrows', withOrder((order) => ({ ...order, properties: { ...order.properties, total: { type: 'integer' } } })), 'track["Order Completed"].total: type changes from number to integer'],
  [
    'an enum loses a value',
    withOrder((order) => ({ ...order, properties: { ...order.properties, currency: { type: 'string', enum: ['USD'] } } })),
    'track["Order Completed"].currency: enum loses "EUR"',
  ],
  ['an event is removed while unplanned events are blocked', { ...base, track: { 'Order Completed': base.track['Order Completed'] } }, 'track["Signed Up"]: removed, and unplanned events are blocked'],
  ['a bound tightens', withOrder((order) => ({ ...order, properties: { ...order.properties, total: { type: 'number', minimum: 1 } } })), 'track["Order Completed"].total: minimum tightened: 1'],
  ['others are no longer allowed', withOrder((order) => ({ ...order, additionalProperties: false })), 'track["Order Completed"]: unplanned properties are no longer allowed'],
  ['a payload is planned where it was not', { ...base, group: { properties: { seats: { type: 'integer' } } } }, 'group: planned where it was not'],
  ['a length bound is added', { ...base, identify: { properties: { email: { type: 'string', format: 'email', maxLength: 100 } } } }, 'identify.email: maxLength added: 100'],
])('catches it when %s', (_what, after, change) => {
  expect(breakingChanges(plan(base), plan(after))).toEqual([change]);
});

it('passes removing an event while unplanned events are allowed', () => {
  expect(breakingChanges(plan({ ...base, allowUnplannedEvents: true }), plan({ ...base, allowUnplannedEvents: true, track: { 'Order Completed': base.track['Order Completed'] } }))).toEqual([]);
});
