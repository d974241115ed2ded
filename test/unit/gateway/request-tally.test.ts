/**
 * A request's tally: counts by outcome and reason, samples of rejected
 * records capped per source, reason and minute across requests (a new minute
 * opens new places, a past one none), records that do not decode kept
 * without a payload, and the message reading back as it was written.
 */
import { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { RequestTally, SampleSlots } from '../../../src/gateway/request-tally';
import { decodeAccounting, encodeAccounting, InvalidAccountingMessage, minuteOf } from '../../../src/stream/accounting-message';

const MINUTE = Date.UTC(2026, 11, 4, 23, 14);
const violation = (reason: string) => [{ field: 'event.profile_id', reason, message: `${reason} here` }];
const record = (eventId: string) => Record.fromPartial({ eventId, kind: { $case: 'event', value: { profileId: 'p', call: { $case: 'track', value: { name: 'T' } } } } });

it('counts outcomes by reason and adds the records received', () => {
  const tally = new RequestTally('web', MINUTE + 5_000, new SampleSlots(0));
  tally.count('accepted', 3);
  tally.count('duplicate', 0);
  tally.count('dropped', 1, 'suppressed');
  tally.reject('e1', record('e1'), violation('REQUIRED'));
  tally.reject('e2', record('e2'), violation('REQUIRED'));
  const message = tally.message(6);
  expect(message.samples).toEqual([]);
  expect(message.counts).toEqual([
    { source: 'web', minute: MINUTE, measure: 'accepted', reason: '', n: 3 },
    { source: 'web', minute: MINUTE, measure: 'dropped', reason: 'suppressed', n: 1 },
    { source: 'web', minute: MINUTE, measure: 'rejected', reason: 'REQUIRED', n: 2 },
    { source: 'web', minute: MINUTE, measure: 'received', reason: '', n: 6 },
  ]);
});

it('keeps at most N samples per source, reason and minute, across requests', () => {
  const slots = new SampleSlots(2);
  const first = new RequestTally('web', MINUTE, slots, () => ({ transport: 'grpc', ip: '10.0.0.1', userAgent: 'ua' }));
  for (const id of ['a', 'b', 'c']) first.reject(id, record(id), violation('REQUIRED'));
  first.reject('d', undefined, violation('UNDECODABLE'));
  const second = new RequestTally('web', MINUTE + 59_999, slots);
  second.reject('e', record('e'), violation('REQUIRED'));
  second.reject('f', record('f'), violation('UNDECODABLE'));
  const other = new RequestTally('app', MINUTE, slots);
  other.reject('g', record('g'), violation('REQUIRED'));
  const samples = [first, second, other].flatMap((t) => t.message(0).samples);
  expect(samples.map((s) => [s.source, s.reason, s.slot, s.eventId])).toEqual([
    ['web', 'REQUIRED', 0, 'a'],
    ['web', 'REQUIRED', 1, 'b'],
    ['web', 'UNDECODABLE', 0, 'd'],
    ['web', 'UNDECODABLE', 1, 'f'],
    ['app', 'REQUIRED', 0, 'g'],
  ]);
  expect(samples[2].record).toBe('');
  expect(Record.fromJSON(JSON.parse(samples[0].record))).toEqual(record('a'));
  expect(samples[0].peer).toEqual({ transport: 'grpc', ip: '10.0.0.1', userAgent: 'ua' });
  // A record that did not decode names no one erasure could find its address by: it is kept without it.
  expect(samples[2].peer).toEqual({ transport: 'grpc', ip: '', userAgent: '' });
  // The next minute opens new places; a request of a past minute gets none.
  const next = new RequestTally('web', MINUTE + 60_000, slots);
  next.reject('h', record('h'), violation('REQUIRED'));
  const late = new RequestTally('web', MINUTE + 1_000, slots);
  late.reject('i', record('i'), violation('REQUIRED'));
  expect([next, late].map((t) => t.message(1).samples.map((s) => s.slot))).toEqual([[0], []]);
});

it('keeps a sample without its record when the record is too long, or has a time no Date holds', () => {
  const slots = new SampleSlots(5);
  const tally = new RequestTally('web', MINUTE, slots);
  const long = Record.fromPartial({ ...record('long'), eventId: 'x'.repeat(20_000) });
  const beyond = Record.fromPartial({ ...record('beyond'), timestamp: new Date(8.64e15 + 1) });
  tally.reject('long', long, violation('TOO_LONG'));
  tally.reject('beyond', beyond, violation('INVALID_FORMAT'));
  expect(tally.message(2).samples.map((s) => [s.eventId, s.record])).toEqual([
    ['long', ''],
    ['beyond', ''],
  ]);
});

it('reads a message back as it was written, and refuses what is not one', () => {
  const tally = new RequestTally('web', MINUTE, new SampleSlots(1));
  tally.reject('a', record('a'), violation('TOO_LONG'));
  const message = tally.message(1);
  expect(decodeAccounting(encodeAccounting(message))).toEqual(JSON.parse(JSON.stringify(message)));
  for (const bad of ['nope', '{}', '{"counts":[{"source":"w","minute":1,"measure":"stolen","reason":"","n":1}],"samples":[]}', '{"counts":[],"samples":[{}]}']) {
    expect(() => decodeAccounting(Buffer.from(bad))).toThrow(InvalidAccountingMessage);
  }
});

it('floors a time to its minute, before 1970 too', () => {
  expect([minuteOf(MINUTE + 59_999), minuteOf(MINUTE), minuteOf(-1)]).toEqual([MINUTE, MINUTE, -60_000]);
});
