/**
 * The product rule in storage: product records carrying profile ids create
 * no profile and no event; the newest record of a product replaces older
 * ones, whatever order they arrive in.
 */
import type { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { count, select } from '../../helpers/clickhouse';
import { drained, SinkHarness } from '../../helpers/sink-harness';

let harness: SinkHarness;
beforeAll(async () => {
  harness = await SinkHarness.create();
});
afterAll(async () => {
  await harness.close();
});

const product = (eventId: string, productId: string, fields: { title?: string; profileId?: string; timestamp?: Date }): Record => ({
  eventId,
  timestamp: fields.timestamp,
  kind: {
    $case: 'product',
    value: {
      productId,
      profileId: fields.profileId,
      userId: fields.profileId && `user-of-${fields.profileId}`,
      title: fields.title ?? '',
      description: '',
      url: '',
      imageLink: '',
      currency: '',
      brand: '',
      category: '',
      tags: [],
      availability: 0,
    },
  },
});

it('stores product records with profile ids and creates no profile', async () => {
  const records = Array.from({ length: 25 }, (_, i) => product(`evt_p_${i}`, `sku_${i}`, { profileId: `usr_product_${i}` }));
  await harness.publish(records);
  await drained(harness);

  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('products_final')} WHERE product_id LIKE 'sku_%'`)).toBe(25);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('profiles_current')}`)).toBe(0);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events')}`)).toBe(0);
});

it('keeps the newest record of a product, whatever the arrival order', async () => {
  const older = new Date('2026-11-01T00:00:00Z');
  const newer = new Date('2026-11-02T00:00:00Z');
  await harness.publish([product('evt_new_first', 'sku_late', { title: 'Merlot 2020', timestamp: newer })]);
  await harness.publish([product('evt_old_second', 'sku_late', { title: 'Merlot 2019', timestamp: older })]);
  await harness.publish([product('evt_old_first', 'sku_ordered', { title: 'Rosé 2019', timestamp: older })]);
  await harness.publish([product('evt_new_second', 'sku_ordered', { title: 'Rosé 2020', timestamp: newer })]);
  await drained(harness);

  const rows = await select<{ product_id: string; title: string; event_id: string }>(
    harness.clickhouse,
    `SELECT product_id, title, event_id FROM ${harness.table('products_final')} WHERE product_id IN ('sku_late', 'sku_ordered') ORDER BY product_id`,
  );
  expect(rows).toEqual([
    { product_id: 'sku_late', title: 'Merlot 2020', event_id: 'evt_new_first' },
    { product_id: 'sku_ordered', title: 'Rosé 2020', event_id: 'evt_new_second' },
  ]);
});
