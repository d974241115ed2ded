/** matches: whether a JetStream object already has every field its definition sets, so that no update (and no permission to update) is needed. */
import { matches } from '../../../src/stream/create-or-update';

const existing = { name: 'TRIBUTARY', subjects: ['tributary.>'], max_age: 604_800_000_000_000, max_bytes: -1, num_replicas: 1, sealed: false };

it('holds when every field the definition sets has the same value, whatever else the object has', () => {
  expect(matches(existing, { name: 'TRIBUTARY', subjects: ['tributary.>'], max_bytes: -1 })).toBe(true);
});

it('fails on a changed value, a changed array, or a field the object lacks', () => {
  expect(matches(existing, { max_bytes: 1024 })).toBe(false);
  expect(matches(existing, { subjects: ['tributary.>', 'other.>'] })).toBe(false);
  expect(matches(existing, { filter_subject: 'tributary.*.event.identify' })).toBe(false);
});
