/**
 * Unit tests of the validator beyond the fixtures: clock correction by
 * sent_at, values only the binary wire can carry (NaN, unknown enum numbers,
 * invalid instants), configured limits, and several violations at once.
 */
import type { ConsentAction, Record } from '../../../src/gen/tributary/ingest/v1/record';
import { clockSkewMs, correctTimestamp, DEFAULT_LIMITS, validateRecord } from '../../../src/contract';

const now = new Date('2026-11-26T12:00:00Z');
const hours = (n: number): number => n * 3_600_000;
const context = { limits: DEFAULT_LIMITS, nowMs: now.getTime(), skewMs: 0 };

const track = (overrides: Partial<Record> = {}, data?: { [key: string]: unknown }): Record => ({
  eventId: 'evt_1',
  timestamp: new Date(now.getTime() - 1000),
  kind: { $case: 'event', value: { profileId: 'p_1', userId: '', sessionId: '', accountId: '', pageId: '', call: { $case: 'track', value: { name: 'Viewed', data } } } },
  ...overrides,
});

const reasons = (record: Record, ctx = context): string[] => validateRecord(record, 100, ctx).map((v) => `${v.field}:${v.reason}`);

describe('clock correction', () => {
  it('computes the skew from sent_at and the receive time', () => {
    expect(clockSkewMs(new Date(now.getTime() + hours(30)), now)).toBe(-hours(30));
    expect(clockSkewMs(undefined, now)).toBe(0);
  });

  it('shifts a timestamp by the skew, and uses the receive time when there is none', () => {
    expect(correctTimestamp(new Date(now.getTime() + hours(30)), -hours(30), now)).toEqual(now);
    expect(correctTimestamp(undefined, -hours(30), now)).toBe(now);
  });

  it('accepts a producer whose clock runs 30 hours fast once sent_at corrects it', () => {
    const record = track({ timestamp: new Date(now.getTime() + hours(30)) });
    expect(reasons(record)).toEqual(['timestamp:TOO_FAR_IN_FUTURE']);
    const skewMs = clockSkewMs(new Date(now.getTime() + hours(30) + 500), now);
    expect(reasons(record, { ...context, skewMs })).toEqual([]);
  });
});

describe('values only the binary wire can carry', () => {
  it('rejects an instant outside the Date range', () => {
    expect(reasons(track({ timestamp: new Date(Number.NaN) }))).toEqual(['timestamp:INVALID_FORMAT']);
  });

  it('rejects non-finite numbers in a Struct and in typed fields', () => {
    expect(reasons(track({}, { total: Number.POSITIVE_INFINITY }))).toEqual(['event.track.data.total:INVALID_VALUE']);
    const product: Record = {
      eventId: 'evt_2',
      kind: {
        $case: 'product',
        value: { productId: 'sku_1', title: '', description: '', url: '', imageLink: '', currency: '', brand: '', category: '', tags: [], availability: 0, price: Number.NaN },
      },
    };
    expect(reasons(product)).toEqual(['product.price:INVALID_VALUE']);
  });

  it('rejects an enum number the contract does not define', () => {
    const record = track();
    if (record.kind?.$case !== 'event') throw new Error('track() builds an event');
    record.kind.value.call = { $case: 'consent', value: { action: 9 as ConsentAction, category: '', source: 'banner', message: '', email: '', validUntil: now } };
    expect(reasons(record)).toEqual(['event.consent.action:INVALID_VALUE']);
  });
});

describe('configured limits', () => {
  it('holds a record to the limits it is given, not the defaults', () => {
    const limits = { ...DEFAULT_LIMITS, maxStructDepth: 2, maxStructEntries: 3 };
    const record = track({}, { a: { b: { c: 1 } } });
    expect(reasons(record)).toEqual([]);
    expect(reasons(record, { ...context, limits })).toEqual(['event.track.data.a.b:TOO_DEEP']);
    expect(reasons(track({}, { a: 1, b: [1, 2] }), { ...context, limits })).toEqual(['event.track.data:TOO_MANY_ENTRIES']);
  });
});

describe('several broken rules', () => {
  it('reports every one, in a stable order', () => {
    const record = track({ eventId: '', timestamp: undefined });
    if (record.kind?.$case !== 'event') throw new Error('track() builds an event');
    record.kind.value.profileId = '';
    record.kind.value.call = { $case: 'identify', value: {} };
    expect(reasons(record)).toEqual(['event_id:REQUIRED', 'timestamp:REQUIRED', 'event.profile_id:REQUIRED', 'event.user_id:REQUIRED']);
  });
});
