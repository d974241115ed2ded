/**
 * Envelopes published through the gateway's publisher become rows with every
 * field mapped: whole rows for a track event and a catalog product, the call
 * columns of every other call, and profiles fed by events only.
 */
import { BAGS } from '../../../src/storage/schema';
import { count, select } from '../../helpers/clickhouse';
import { validRecords } from '../../helpers/records';
import { SinkHarness } from '../../helpers/sink-harness';
import { waitFor } from '../../helpers/wait';

let harness: SinkHarness;
const receivedAt = new Date('2026-11-20T10:16:00.000Z');
beforeAll(async () => {
  harness = await SinkHarness.create();
  await harness.publish(validRecords(), { receivedAt });
  await waitFor('every fixture stored', async () =>
    (await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events_final')}`)) === 6 &&
    (await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('products_final')}`)) === 3
      ? true
      : undefined,
  );
});
afterAll(async () => {
  await harness.close();
});

/** The row of an event, its free-form bags (JSON text) read as JSON values. */
const byEventId = async (table: string, eventId: string) => {
  const rows = await select<{ [column: string]: unknown }>(harness.clickhouse, `SELECT * FROM ${harness.table(table)} WHERE event_id = '${eventId}'`);
  expect(rows).toHaveLength(1);
  const row = rows[0];
  for (const { column } of BAGS) if (typeof row[column] === 'string') row[column] = JSON.parse(row[column]);
  return row;
};

it('maps a track event to a whole events row', async () => {
  const row = await byEventId('events_final', 'evt_track_01');
  expect({ ...row, stream_seq: undefined }).toEqual({
    source_id: 'source_a',
    event_id: 'evt_track_01',
    call: 'track',
    name: 'Order Completed',
    timestamp: '2026-11-20 10:15:30.250',
    original_timestamp: '2026-11-20 10:15:30.250',
    received_at: '2026-11-20 10:16:00.000',
    sent_at: null,
    profile_id: 'usr_12ab45c99d77',
    user_id: '',
    session_id: 'sess_55f1a4c908e1',
    account_id: 'acc_a9213fbb892',
    page_id: 'page_checkout',
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
    context: {
      library: { name: 'tributary-js', version: '0.1.0' },
      device: { id: 'dev_7f3a', type: 'web' },
      os: { name: 'macOS', version: '15.1' },
      campaign: { name: 'winter-sale', source: 'newsletter', medium: 'email' },
      locale: 'en-US',
      timezone: 'Europe/Berlin',
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 15_1)',
      ip: '203.0.113.7',
    },
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
    stream_seq: undefined,
  });
  expect(Number(row.stream_seq)).toBeGreaterThan(0);
});

it('maps a catalog product to a whole products row', async () => {
  const row = await byEventId('products_final', 'evt_product_02');
  expect({ ...row, stream_seq: undefined }).toEqual({
    source_id: 'source_a',
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
    updated_at: '2026-11-20 10:15:30.250',
    received_at: '2026-11-20 10:16:00.000',
    stream_seq: undefined,
  });
});

it('maps the seed minimal product, using the receive time for its missing timestamp', async () => {
  const row = await byEventId('products_final', 'evt_product_01');
  expect(row).toMatchObject({ product_id: '123', data: { name: 'Wine', amount: 150, quantity: 4 }, price: null, rating: null, updated_at: '2026-11-20 10:16:00.000' });
});

it('fills the columns of each call', async () => {
  expect(await byEventId('events_final', 'evt_identify_01')).toMatchObject({
    call: 'identify',
    user_id: 'ada@example.com',
    user_attributes: { email: 'ada@example.com', name: 'Ada Lovelace', plan: 'pro' },
  });
  expect(await byEventId('events_final', 'evt_alias_01')).toMatchObject({ call: 'alias', user_id: 'ada@example.com', another_user_id: 'crm_000042' });
  expect(await byEventId('events_final', 'evt_group_01')).toMatchObject({ call: 'group', account_id: 'acc_a9213fbb892', account_attributes: { name: 'Analytical Engines Ltd', seats: 25 } });
  expect(await byEventId('events_final', 'evt_consent_01')).toMatchObject({
    call: 'consent',
    consent_action: 'accept',
    consent_category: 'marketing',
    consent_valid_until: '2027-11-20 00:00:00.000',
    consent_source: 'cookie-banner',
    consent_message: 'I agree to receive offers.',
  });
  expect(await byEventId('events_final', 'evt_page_01')).toMatchObject({
    call: 'page',
    page_id: 'page_wines_red',
    page_url: 'https://shop.example.com/wines/red?utm_source=newsletter',
    page_title: 'Red wines',
    page_referrer: 'https://mail.example.com/',
    page_path: '/wines/red',
  });
});

it('builds profiles from events only: first and last seen, user id and identify attributes', async () => {
  const profiles = await select<{ [column: string]: unknown }>(harness.clickhouse, `SELECT profile_id, first_seen, last_seen, user_id, user_attributes FROM ${harness.table('profiles_current')}`);
  expect(profiles).toEqual([
    {
      profile_id: 'usr_12ab45c99d77',
      first_seen: '2026-11-20 10:15:30.250',
      last_seen: '2026-11-20 10:15:30.250',
      user_id: 'ada@example.com',
      user_attributes: '{"email":"ada@example.com","name":"Ada Lovelace","plan":"pro"}',
    },
  ]);
});
