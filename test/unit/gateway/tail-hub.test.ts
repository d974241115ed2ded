/**
 * The tail: lines only while someone watches, filters by field, the rate
 * cap with the count of what was skipped told (at the next line or the
 * once-a-second notice), a reader too slow counted as skipped, and a
 * watcher gone once it stops.
 */
import { DropReason, RecordStatus, type RecordResult } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { MAX_WATCHERS, TailHub, TooManyWatchers, type TailEvent } from '../../../src/gateway/tail-hub';
import type { FramedRecord } from '../../../src/gateway/request-frame';

const framed = (eventId: string, name = 'Bought'): FramedRecord => ({
  record: Record.fromPartial({ eventId, kind: { $case: 'event', value: { profileId: 'p', call: { $case: 'track', value: { name } } } } }),
  bytes: new Uint8Array(0),
});
const result = (eventId: string, status: RecordStatus, extra: Partial<RecordResult> = {}): RecordResult => ({
  eventId,
  status,
  violations: [],
  sequence: 0,
  dropReason: DropReason.UNSPECIFIED,
  ...extra,
});
const at = new Date('2026-12-04T23:00:00Z');

it('shows each answered record to the watchers whose filters it passes', () => {
  const hub = new TailHub();
  expect(hub.active).toBe(false);
  const all: TailEvent[] = [];
  const rejected: TailEvent[] = [];
  const stopAll = hub.watch(
    {},
    100,
    (e) => all.push(e),
    () => 0,
  );
  hub.watch(
    { status: 'rejected', source: 'web' },
    100,
    (e) => rejected.push(e),
    () => 0,
  );
  hub.show(
    'web',
    at,
    [framed('a'), framed('b'), framed('c'), { violation: { field: '', reason: 'UNDECODABLE', message: 'm' }, eventId: 'd', bytes: new Uint8Array(0) }],
    [
      result('a', RecordStatus.ACCEPTED, { sequence: 7 }),
      result('b', RecordStatus.REJECTED, { violations: [{ field: 'event.profile_id', reason: 'REQUIRED', message: 'm' }] }),
      result('c', RecordStatus.DROPPED, { dropReason: DropReason.NO_CONSENT }),
      result('d', RecordStatus.REJECTED, { violations: [{ field: '', reason: 'UNDECODABLE', message: 'm' }] }),
    ],
  );
  expect(all).toEqual([
    { line: { ts: at.toISOString(), source: 'web', event_id: 'a', call: 'track', name: 'Bought', status: 'accepted', reason: '', seq: 7 } },
    { line: { ts: at.toISOString(), source: 'web', event_id: 'b', call: 'track', name: 'Bought', status: 'rejected', reason: 'REQUIRED', seq: 0 } },
    { line: { ts: at.toISOString(), source: 'web', event_id: 'c', call: 'track', name: 'Bought', status: 'dropped', reason: 'no_consent', seq: 0 } },
    { line: { ts: at.toISOString(), source: 'web', event_id: 'd', call: '', name: '', status: 'rejected', reason: 'UNDECODABLE', seq: 0 } },
  ]);
  expect(rejected.map((e) => ('line' in e ? e.line.event_id : e))).toEqual(['b', 'd']);
  stopAll();
  expect(hub.watching).toBe(1);
});

it('caps lines a second and says how many it skipped, also when the reader is slow', () => {
  jest.useFakeTimers({ now: at });
  try {
    const hub = new TailHub();
    const events: TailEvent[] = [];
    let unread = 0;
    const stop = hub.watch(
      {},
      2,
      (e) => events.push(e),
      () => unread,
    );
    const burst = (ids: string[]) =>
      hub.show(
        'web',
        at,
        ids.map((id) => framed(id)),
        ids.map((id) => result(id, RecordStatus.ACCEPTED)),
      );
    burst(['a', 'b', 'c', 'd']);
    expect(events).toEqual([expect.objectContaining({ line: expect.objectContaining({ event_id: 'a' }) }), expect.objectContaining({ line: expect.objectContaining({ event_id: 'b' }) })]);
    jest.advanceTimersByTime(1_000);
    expect(events[2]).toEqual({ skipped: 2 });
    burst(['e']);
    expect(events[3]).toEqual(expect.objectContaining({ line: expect.objectContaining({ event_id: 'e' }) }));
    unread = 2 << 20;
    jest.advanceTimersByTime(1_000);
    burst(['f', 'g']);
    unread = 0;
    burst(['h']);
    expect(events.slice(4)).toEqual([{ skipped: 2 }, expect.objectContaining({ line: expect.objectContaining({ event_id: 'h' }) })]);
    stop();
    expect(hub.active).toBe(false);
  } finally {
    jest.useRealTimers();
  }
});

it('takes at most MAX_WATCHERS, and ends every watch when the gateway stops', () => {
  const hub = new TailHub();
  const ended: number[] = [];
  for (let i = 0; i < MAX_WATCHERS; i++)
    hub.watch(
      {},
      10,
      () => undefined,
      () => 0,
      () => ended.push(i),
    );
  expect(() =>
    hub.watch(
      {},
      10,
      () => undefined,
      () => 0,
    ),
  ).toThrow(TooManyWatchers);
  hub.close();
  expect(ended).toHaveLength(MAX_WATCHERS);
  expect(hub.active).toBe(false);
});
