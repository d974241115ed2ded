/**
 * ClickHouse failing: with the events table detached, the sink retries and
 * acks nothing; once it is attached again, every record arrives, once.
 */
import { count } from '../../helpers/clickhouse';
import { trackRecord } from '../../helpers/records';
import { drained, SinkHarness } from '../../helpers/sink-harness';
import { waitFor } from '../../helpers/wait';

let harness: SinkHarness;
beforeAll(async () => {
  harness = await SinkHarness.create();
});
afterAll(async () => {
  await harness.close();
});

it('acks nothing while the table is missing, and loses nothing after it is back', async () => {
  await harness.publish(Array.from({ length: 5 }, (_, i) => trackRecord(`evt_before_${i}`)));
  await drained(harness);
  const floor = (await harness.consumerState()).ackFloor;

  await harness.clickhouse.command({ query: `DETACH TABLE ${harness.table('events')}` });
  try {
    await harness.publish(Array.from({ length: 10 }, (_, i) => trackRecord(`evt_during_${i}`)));
    const retriesBefore = harness.sink?.health.retries ?? 0;
    await waitFor('the sink to fail and retry twice', () => ((harness.sink?.health.retries ?? 0) >= retriesBefore + 2 ? true : undefined));
    expect(await harness.consumerState()).toEqual({ pending: 0, ackPending: 10, ackFloor: floor });
  } finally {
    await harness.clickhouse.command({ query: `ATTACH TABLE ${harness.table('events')}` });
  }

  await drained(harness);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events_final')}`)).toBe(15);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events')}`)).toBe(15);
});

it('stops without waiting out its pause while a batch keeps failing, and hands the batch back to the next sink', async () => {
  await harness.publish(Array.from({ length: 5 }, (_, i) => trackRecord(`evt_stop_${i}`)));
  await harness.clickhouse.command({ query: `DETACH TABLE ${harness.table('events')}` });
  try {
    const retriesBefore = harness.sink?.health.retries ?? 0;
    // After six failures the pause before the next attempt is 6.4 s.
    await waitFor('the sink to fail six times', () => ((harness.sink?.health.retries ?? 0) >= retriesBefore + 6 ? true : undefined));
    const stopping = Date.now();
    await harness.sink?.stop();
    expect(Date.now() - stopping).toBeLessThan(6_400);
    expect((await harness.consumerState()).ackPending).toBe(5);
  } finally {
    await harness.clickhouse.command({ query: `ATTACH TABLE ${harness.table('events')}` });
  }
  await harness.startSink();
  const stored = () => count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events_final')} WHERE startsWith(event_id, 'evt_stop_')`);
  await waitFor('the next sink to store the batch handed back', async () => ((await stored()) === 5 ? true : undefined));
});
