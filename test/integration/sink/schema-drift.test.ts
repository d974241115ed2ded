/**
 * Schema drift is retried, never poison: with a column dropped under a
 * running sink, every insert fails, nothing is dead-lettered or acked, and
 * once the batch has failed for longer than the stall bound the sink says
 * it is not ready, and why. With the column back, every row arrives.
 */
import { count } from '../../helpers/clickhouse';
import { trackRecord } from '../../helpers/records';
import { drained, SinkHarness } from '../../helpers/sink-harness';
import { waitFor } from '../../helpers/wait';

let harness: SinkHarness;
beforeAll(async () => {
  harness = await SinkHarness.create({ sinkStallAfterMs: '1s', sinkRetryMaxMs: '200ms' });
});
afterAll(async () => {
  await harness.close();
});

it('retries while a column is missing, turns not ready with the reason, and stores every row once it is back', async () => {
  await harness.publish([trackRecord('evt_drift_before')]);
  await drained(harness);
  expect(harness.sink?.ready()).toBe(true);

  await harness.clickhouse.command({ query: `ALTER TABLE ${harness.table('events')} DROP COLUMN page_path`, clickhouse_settings: { mutations_sync: '2' } });
  try {
    await harness.publish(Array.from({ length: 10 }, (_, i) => trackRecord(`evt_drift_${i}`)));
    const reason = await waitFor('the sink to report itself not ready', () => {
      const ready = harness.sink?.ready();
      return typeof ready === 'string' ? ready : undefined;
    });
    expect(reason).toMatch(/failing for \d+s: .*page_path/);
    await waitFor('the stall to be counted once', () => (harness.sink?.health.stalls === 1 ? true : undefined));
    expect((await harness.consumerState()).ackPending).toBe(10);
    expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('dead_letters')}`)).toBe(0);
  } finally {
    await harness.clickhouse.command({ query: `ALTER TABLE ${harness.table('events')} ADD COLUMN IF NOT EXISTS page_path String AFTER page_referrer`, clickhouse_settings: { mutations_sync: '2' } });
  }

  await drained(harness);
  expect(harness.sink?.ready()).toBe(true);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events_final')} WHERE event_id LIKE 'evt_drift_%'`)).toBe(11);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('dead_letters')}`)).toBe(0);
});
