/** `tributary send` input: one record, an array, an IngestRequest, or NDJSON. */
import { readRecords } from '../../../src/cli/read-records';

const track = { eventId: 'e1', timestamp: '2026-11-20T10:00:00Z', event: { profileId: 'p', track: { name: 'Viewed' } } };
const product = { eventId: 'e2', product: { productId: '123' } };

it('reads every shape into the same records', () => {
  const expected = readRecords(JSON.stringify([track, product]), 'array');
  expect(expected.map((r) => r.eventId)).toEqual(['e1', 'e2']);
  expect(readRecords(JSON.stringify({ records: [track, product] }), 'request')).toEqual(expected);
  expect(readRecords(`${JSON.stringify(track)}\n\n${JSON.stringify(product)}\n`, 'ndjson')).toEqual(expected);
  expect(readRecords(JSON.stringify(track, null, 2), 'single')).toEqual([expected[0]]);
  expect(readRecords('  \n', 'empty')).toEqual([]);
});

it('names the line that is not JSON', () => {
  expect(() => readRecords(`${JSON.stringify(track)}\n{oops\n`, 'events.ndjson')).toThrow('events.ndjson:2 is not JSON');
});
