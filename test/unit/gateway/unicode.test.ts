/**
 * Strings that are not Unicode in the records the JSON doors make: a lone
 * surrogate in any field is named by its contract path (through the oneofs,
 * in lists by index), one anywhere in a payload (key or value) names the
 * payload field, and well-formed text (surrogate pairs included) passes.
 */
import { illFormedField } from '../../../src/gateway/doors/unicode';
import { Record } from '../../../src/gen/tributary/ingest/v1/record';

const LONE = '\ud800';
const event = (value: object): Record => Record.fromJSON({ eventId: 'e1', event: value });

it('passes well-formed text, surrogate pairs included', () => {
  expect(illFormedField(event({ profileId: 'p😀', track: { name: 'Clicked 🎉', data: { 'ключ😀': ['€', { x: '😀' }] } } }))).toBeUndefined();
});

it('names the field that holds a lone surrogate', () => {
  expect(illFormedField(Record.fromJSON({ eventId: `e${LONE}` }))).toBe('event_id');
  expect(illFormedField(event({ profileId: LONE }))).toBe('event.profile_id');
  expect(illFormedField(event({ profileId: 'p', userId: `u\udc00` }))).toBe('event.user_id');
  expect(illFormedField(event({ profileId: 'p', track: { name: `n${LONE}` } }))).toBe('event.track.name');
  expect(illFormedField(event({ profileId: 'p', context: { userAgent: LONE } }))).toBe('event.context.user_agent');
  expect(illFormedField(event({ profileId: 'p', context: { library: { name: LONE } } }))).toBe('event.context.library.name');
  expect(illFormedField(event({ profileId: 'p', alias: { anotherUserId: LONE } }))).toBe('event.alias.another_user_id');
  expect(illFormedField(Record.fromJSON({ eventId: 'e', product: { productId: 'x', tags: ['ok', LONE] } }))).toBe('product.tags[1]');
});

it('names the payload field for a lone surrogate anywhere in a payload, key or value', () => {
  expect(illFormedField(event({ profileId: 'p', track: { name: 'n', data: { list: [{ deep: LONE }] } } }))).toBe('event.track.data');
  expect(illFormedField(event({ profileId: 'p', identify: { userAttributes: { [`k${LONE}`]: 1 } } }))).toBe('event.identify.user_attributes');
  expect(illFormedField(event({ profileId: 'p', group: { accountAttributes: { plan: LONE } } }))).toBe('event.group.account_attributes');
  expect(illFormedField(Record.fromJSON({ eventId: 'e', product: { productId: 'x', data: { d: LONE } } }))).toBe('product.data');
});
