/**
 * Envelope bytes into JSONEachRow lines, read off the wire: one table per
 * kind, every column of every call, the clock facts, the partition, decoding
 * as ts-proto decodes (the last of a field sent twice), no user_hash, and
 * envelopes that cannot be rows.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { Envelope } from '../../../src/gen/tributary/ingest/v1/envelope';
import { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { encodeEnvelope } from '../../../src/publish/envelope';
import { envelopeRow as writeRow, EVENT_COLUMNS, InvalidEnvelopeError, PRODUCT_COLUMNS } from '../../../src/sink/envelope-row';
import { RowBuffers } from '../../../src/sink/row-buffers';
import { validRecords } from '../../helpers/records';
import { parseTsvRow } from '../../helpers/tsv-row';

const receivedAt = new Date('2026-11-20T10:16:00.000Z');
const facts = (record: Record) => ({
  sourceId: 'web',
  receivedAt,
  timestamp: record.timestamp === undefined ? receivedAt : new Date(record.timestamp.getTime() + 5000),
  sentAt: new Date('2026-11-20T10:15:55.000Z'),
});
const bytesOf = (record: Record): Uint8Array => encodeEnvelope(Record.encode(record).finish(), facts(record));
const envelopeRow = (bytes: Uint8Array, seq: number) => writeRow(bytes, seq, new RowBuffers());
const rowOf = (record: Record, seq = 1) => {
  const encoded = envelopeRow(bytesOf(record), seq);
  return { ...encoded, row: parseTsvRow(encoded.bytes, encoded.table === 'events' ? EVENT_COLUMNS : PRODUCT_COLUMNS) };
};
const fixture = (eventId: string): Record => validRecords().find((r) => r.eventId === eventId) as Record;

it('sends events to events and products to products, nowhere else', () => {
  const tables = validRecords().map((r) => envelopeRow(bytesOf(r), 7).table);
  expect(tables.filter((t) => t === 'events')).toHaveLength(6);
  expect(tables.filter((t) => t === 'products')).toHaveLength(3);
});

it('writes a whole events row: the call, the clock facts, the context in proto3 JSON, the stream sequence', () => {
  const { row, partition, sourceId } = rowOf(fixture('evt_track_01'), 42);
  expect(row).toEqual({
    source_id: 'web',
    event_id: 'evt_track_01',
    call: 'track',
    name: 'Order Completed',
    another_user_id: '',
    properties: {
      orderId: 'ord_1001',
      revenue: 129.9,
      currency: 'EUR',
      coupon: null,
      firstOrder: true,
      items: [
        { sku: 'W-1', qty: 2 },
        { sku: 'W-7', qty: 1 },
      ],
    },
    user_attributes: {},
    account_attributes: {},
    consent_action: '',
    consent_category: '',
    consent_valid_until: null,
    consent_source: '',
    consent_message: '',
    consent_email: '',
    page_url: '',
    page_title: '',
    page_referrer: '',
    page_path: '',
    timestamp: '2026-11-20 10:15:35.250',
    original_timestamp: '2026-11-20 10:15:30.250',
    received_at: '2026-11-20 10:16:00.000',
    sent_at: '2026-11-20 10:15:55.000',
    profile_id: 'usr_12ab45c99d77',
    user_id: '',
    session_id: 'sess_55f1a4c908e1',
    account_id: 'acc_a9213fbb892',
    page_id: 'page_checkout',
    context: (Record.toJSON(fixture('evt_track_01')) as { event: { context: unknown } }).event.context,
    stream_seq: 42,
  });
  expect(partition).toBe(202611);
  expect(sourceId).toBe('web');
});

it('fills the columns of each call and nothing else', () => {
  expect(rowOf(fixture('evt_identify_01')).row).toMatchObject({
    call: 'identify',
    user_id: 'ada@example.com',
    user_attributes: { email: 'ada@example.com', name: 'Ada Lovelace', plan: 'pro' },
    properties: {},
  });
  expect(rowOf(fixture('evt_alias_01')).row).toMatchObject({ call: 'alias', user_id: 'ada@example.com', another_user_id: 'crm_000042', name: '' });
  expect(rowOf(fixture('evt_group_01')).row).toMatchObject({ call: 'group', account_attributes: { name: 'Analytical Engines Ltd', seats: 25 } });
  expect(rowOf(fixture('evt_consent_01')).row).toMatchObject({
    call: 'consent',
    consent_action: 'accept',
    consent_category: 'marketing',
    consent_valid_until: '2027-11-20 00:00:00.000',
    consent_source: 'cookie-banner',
    consent_message: 'I agree to receive offers.',
  });
  expect(rowOf(fixture('evt_page_01')).row).toMatchObject({
    call: 'page',
    page_url: 'https://shop.example.com/wines/red?utm_source=newsletter',
    page_title: 'Red wines',
    page_referrer: 'https://mail.example.com/',
    page_path: '/wines/red',
  });
});

it("stores no identify's user_hash", () => {
  const identify = fixture('evt_identify_01');
  const call = identify.kind?.$case === 'event' ? identify.kind.value.call : undefined;
  const userHash = call?.$case === 'identify' ? call.value.userHash : undefined;
  expect(userHash).toMatch(/^[0-9a-f]{64}$/);
  expect(Buffer.from(rowOf(identify).bytes).toString('utf8')).not.toContain(userHash);
});

it('writes a whole products row, with profile and user ids as columns only and no partition', () => {
  const { row, partition, table } = rowOf(fixture('evt_product_02'), 9);
  expect(table).toBe('products');
  expect(partition).toBe(0);
  expect(row).toEqual({
    source_id: 'web',
    product_id: 'sku_merlot_2019',
    event_id: 'evt_product_02',
    profile_id: '',
    user_id: '',
    title: 'Merlot 2019',
    description: 'A round, fruity red.',
    url: 'https://shop.example.com/p/merlot-2019',
    image_link: 'https://cdn.example.com/merlot-2019.jpg',
    price: 14.5,
    currency: 'EUR',
    brand: 'Domaine X',
    category: 'Wine > Red',
    tags: ['red', 'dry'],
    availability: 'in_stock',
    rating: 4.6,
    data: {},
    updated_at: '2026-11-20 10:15:35.250',
    received_at: '2026-11-20 10:16:00.000',
    stream_seq: 9,
  });
  expect(rowOf(fixture('evt_product_03')).row).toMatchObject({ product_id: 'sku_rose_2021', profile_id: 'usr_12ab45c99d77', user_id: 'ada@example.com', price: null });
});

it('partitions by the month of the original timestamp, however old', () => {
  const track = { ...fixture('evt_track_01'), timestamp: new Date('1999-02-28T23:59:59.999Z') };
  expect(rowOf(track).partition).toBe(199902);
  expect(rowOf(track).row.original_timestamp).toBe('1999-02-28 23:59:59.999');
});

it('decodes as ts-proto does: the last of a field sent twice wins, unknown fields are skipped', () => {
  const record = fixture('evt_track_01');
  const writer = new BinaryWriter();
  writer.uint32((1 << 3) | 2).bytes(Record.encode(fixture('evt_alias_01')).finish());
  writer.uint32((1 << 3) | 2).bytes(Record.encode(record).finish());
  writer.uint32((99 << 3) | 0).uint32(7);
  const bytes = Envelope.encode({ sourceId: 'first', receivedAt, timestamp: undefined, sentAt: undefined }, writer).finish();
  const twice = new BinaryWriter()
    .raw(bytes)
    .uint32((2 << 3) | 2)
    .string('second')
    .finish();
  const decoded = Envelope.decode(twice);
  const row = parseTsvRow(envelopeRow(twice, 1).bytes, EVENT_COLUMNS);
  expect(row).toMatchObject({ source_id: decoded.sourceId, event_id: decoded.record?.eventId, call: 'track' });
  expect(row.source_id).toBe('second');
});

it('refuses envelopes without a record, a kind or a call, and bytes that are not an envelope', () => {
  const track = fixture('evt_track_01');
  expect(() => envelopeRow(Envelope.encode({ sourceId: 'web', receivedAt, timestamp: undefined, sentAt: undefined }).finish(), 1)).toThrow(InvalidEnvelopeError);
  expect(() => envelopeRow(bytesOf({ ...track, kind: undefined }), 1)).toThrow('the envelope holds no record');
  const noCall = { ...track, kind: { $case: 'event' as const, value: { profileId: 'p', userId: '', sessionId: '', accountId: '', pageId: '' } } };
  expect(() => envelopeRow(bytesOf(noCall), 1)).toThrow('the event has no call');
  const truncated = bytesOf(track).slice(0, 40);
  expect(() => envelopeRow(truncated, 1)).toThrow();
  expect(() => envelopeRow(truncated, 1)).not.toThrow(InvalidEnvelopeError);
});

it('writes strings and bags with every character that needs escaping, invalid UTF-8 as the decoder reads it, one line each', () => {
  const odd = 'quote " backslash \\ newline \n nul \u0000 line-sep \u2028 emoji 😀';
  const track = fixture('evt_track_01');
  const record = { ...track, eventId: odd };
  const { row, bytes } = rowOf(record);
  expect(row.event_id).toBe(odd);
  expect(Buffer.from(bytes).toString('utf8').split('\n')).toEqual([expect.any(String), '']);
  const data = { [odd]: [odd, { tab: '\t', cr: '\r', quote: "'" }], path: 'C:\\dir\\file' };
  const withBag = {
    ...track,
    kind: { $case: 'event' as const, value: { profileId: odd, userId: '', sessionId: '', accountId: '', pageId: '', call: { $case: 'track' as const, value: { name: odd, data } } } },
  };
  expect(rowOf(withBag).row).toMatchObject({ profile_id: odd, name: odd, properties: data });
  const product = fixture('evt_product_02');
  if (product.kind?.$case === 'product') product.kind.value.tags = [odd, "it's", 'a\\b', ''];
  expect(rowOf(product).row.tags).toEqual([odd, "it's", 'a\\b', '']);

  // An event id of bytes that are not UTF-8: the sink stores what ts-proto's decoder reads.
  const raw = Buffer.from(Record.encode({ ...track, eventId: 'XX' }).finish());
  const at = raw.indexOf('XX');
  raw[at] = 0xff;
  raw[at + 1] = 0xc3;
  const envelope = encodeEnvelope(raw, facts(track));
  const decoded = Envelope.decode(envelope).record?.eventId;
  expect(parseTsvRow(envelopeRow(envelope, 1).bytes, EVENT_COLUMNS).event_id).toBe(decoded);
  expect(decoded).toBe('\ufffd\ufffd');
});

it('leaves the output as it was when an envelope fails part-way, and keeps earlier rows', () => {
  const rows = new RowBuffers();
  const first = writeRow(bytesOf(fixture('evt_track_01')), 1, rows);
  const before = Buffer.from(first.bytes);
  // A NaN in a Struct fails inside the bag writer, after the row has begun.
  const track = fixture('evt_page_01');
  if (track.kind?.$case === 'event' && track.kind.value.call?.$case === 'page') track.kind.value.call.value.data = { x: Number.NaN };
  expect(() => writeRow(bytesOf(track), 2, rows)).toThrow(/NaN/);
  const next = writeRow(bytesOf(fixture('evt_group_01')), 3, rows);
  expect(Buffer.from(first.bytes)).toEqual(before);
  expect(next.bytes.byteOffset).toBe(first.bytes.byteOffset + first.bytes.byteLength);
});
