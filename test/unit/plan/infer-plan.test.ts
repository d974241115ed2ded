/**
 * A plan drafted from counts: types from ClickHouse's JSON types, integers
 * and numbers merged, required where always present, and a property seen
 * with two types said so.
 */
import { inferPlan } from '../../../src/plan/infer-plan';
import { parsePlan } from '../../../src/plan/parse-plan';

it('drafts types, requirements and doubts from what was counted', () => {
  const draft = inferPlan(
    'web',
    '2026-11-28T00:00:00.000Z',
    'draft-1',
    [
      { call: 'track', name: 'Order Completed', key: 'total', type: 'Int64', n: 6 },
      { call: 'track', name: 'Order Completed', key: 'total', type: 'Double', n: 4 },
      { call: 'track', name: 'Order Completed', key: 'coupon', type: 'String', n: 3 },
      { call: 'track', name: 'Order Completed', key: 'coupon', type: 'Null', n: 1 },
      { call: 'identify', name: '', key: 'plan', type: 'String', n: 8 },
      { call: 'identify', name: '', key: 'plan', type: 'Int64', n: 2 },
    ],
    [
      { call: 'track', name: 'Order Completed', n: 10 },
      { call: 'identify', name: '', n: 10 },
    ],
  );
  expect(draft.track?.['Order Completed']).toEqual({
    properties: { coupon: { type: 'string', description: 'present in 40% of 10 records' }, total: { type: 'number', description: 'present in 100% of 10 records' } },
    required: ['total'],
  });
  expect(draft.identify?.properties.plan).toEqual({ type: 'string', description: 'present in 100% of 10 records; also seen as integer (2): decide which is meant' });
  // The draft is a plan file.
  expect(parsePlan('draft.json', JSON.stringify(draft)).track.size).toBe(1);
});
