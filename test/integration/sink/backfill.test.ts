/**
 * No batch can wedge the sink: one request of 150 track events spread over
 * 150 months (a normal backfill, more partitions than one insert may touch)
 * is stored whole, with no dead letter, and a live event sent after it is
 * stored too.
 */
import type { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { count } from '../../helpers/clickhouse';
import { trackRecord } from '../../helpers/records';
import { drained, SinkHarness } from '../../helpers/sink-harness';

let harness: SinkHarness;
beforeAll(async () => {
  harness = await SinkHarness.create();
});
afterAll(async () => {
  await harness.close();
});

it('stores a 150-month backfill in one batch, then a live event', async () => {
  const backfill: Record[] = Array.from({ length: 150 }, (_, i) => ({ ...trackRecord(`evt_month_${i}`), timestamp: new Date(Date.UTC(2014, i, 15, 12)) }));
  await harness.publish(backfill);
  await drained(harness);
  await harness.publish([trackRecord('evt_live')]);
  await drained(harness);

  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events_final')} WHERE event_id LIKE 'evt_month_%'`)).toBe(150);
  expect(await count(harness.clickhouse, `SELECT uniqExact(toYYYYMM(original_timestamp)) AS n FROM ${harness.table('events_final')} WHERE event_id LIKE 'evt_month_%'`)).toBe(150);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events_final')} WHERE event_id = 'evt_live'`)).toBe(1);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('dead_letters')}`)).toBe(0);
  expect(harness.sink?.stats.batches).toBeGreaterThanOrEqual(2);
});
