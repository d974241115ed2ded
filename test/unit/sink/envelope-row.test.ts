/** The pure mapping from Envelopes to rows: one table per kind, the clock facts, and envelopes that cannot be rows. */
import { Envelope } from '../../../src/gen/tributary/ingest/v1/envelope';
import { InvalidEnvelopeError, toTableRow } from '../../../src/sink/rows';
import { validRecords } from '../../helpers/records';

const receivedAt = new Date('2026-11-20T10:16:00.000Z');
const envelopeOf = (record: ReturnType<typeof validRecords>[number], overrides: Partial<Envelope> = {}): Envelope => ({
  record,
  sourceId: 'web',
  receivedAt,
  timestamp: record.timestamp === undefined ? receivedAt : new Date(record.timestamp.getTime() + 5000),
  sentAt: new Date('2026-11-20T10:15:55.000Z'),
  ...overrides,
});

it('sends events to events and products to products, nowhere else', () => {
  const tables = validRecords().map((r) => toTableRow(envelopeOf(r), 7).table);
  expect(tables.filter((t) => t === 'events')).toHaveLength(6);
  expect(tables.filter((t) => t === 'products')).toHaveLength(3);
});

it('keeps the corrected and the original timestamp apart, and the stream sequence', () => {
  const track = validRecords().find((r) => r.eventId === 'evt_track_01')!;
  const mapped = toTableRow(envelopeOf(track), 42);
  expect(mapped.table).toBe('events');
  expect(mapped.row).toMatchObject({ timestamp: '2026-11-20 10:15:35.250', original_timestamp: '2026-11-20 10:15:30.250', received_at: '2026-11-20 10:16:00.000', sent_at: '2026-11-20 10:15:55.000', stream_seq: 42 });
});

it('keeps product profile and user ids as columns only', () => {
  const product = validRecords().find((r) => r.eventId === 'evt_product_03')!;
  expect(toTableRow(envelopeOf(product), 1)).toMatchObject({ table: 'products', row: { product_id: 'sku_rose_2021', profile_id: 'usr_12ab45c99d77', user_id: 'ada@example.com', price: null } });
});

it('refuses envelopes without a record, a kind or a call', () => {
  const track = validRecords().find((r) => r.eventId === 'evt_track_01')!;
  expect(() => toTableRow(envelopeOf(track, { record: undefined }), 1)).toThrow(InvalidEnvelopeError);
  expect(() => toTableRow(envelopeOf({ ...track, kind: undefined }), 1)).toThrow('the envelope holds no record');
  const noCall = { ...track, kind: { $case: 'event' as const, value: { profileId: 'p', userId: '', sessionId: '', accountId: '', pageId: '' } } };
  expect(() => toTableRow(envelopeOf(noCall), 1)).toThrow('the event has no call');
});
