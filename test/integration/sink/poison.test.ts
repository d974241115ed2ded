/**
 * Poison goes aside, not around: a message that is not an Envelope, an
 * Envelope with no record, and a record ClickHouse refuses as invalid data (after the bounded number of
 * deliveries), end in the dead-letter stream and the dead_letters table with
 * their reason, and the records after them still arrive.
 */
import { jetstream } from '@nats-io/jetstream';
import { deadLetterStreamName } from '../../../src/stream/dead-letter-stream';
import { count, select } from '../../helpers/clickhouse';
import { trackRecord } from '../../helpers/records';
import { drained, SinkHarness } from '../../helpers/sink-harness';

let harness: SinkHarness;
beforeAll(async () => {
  harness = await SinkHarness.create({ sinkMaxDeliveries: '2' });
});
afterAll(async () => {
  await harness.close();
});

it('sets poison aside with its reason and stores what follows', async () => {
  const js = jetstream(harness.link.nc);
  const truncated = Buffer.from([0x0a, 0x05, 0x0a]);
  await js.publish(`${harness.config.subjectPrefix}.source_a.event.track`, truncated, { msgID: 'truncated-1' });
  await js.publish(`${harness.config.subjectPrefix}.source_a.event.track`, Buffer.alloc(0), { msgID: 'empty-1' });
  // Past the year 9999 a timestamp has no DateTime64 text ClickHouse reads: the row, not the batch, is at fault.
  const unreadable = { ...trackRecord('evt_year_10000'), timestamp: new Date('+010000-01-01T00:00:00.000Z') };
  await harness.publish([unreadable]);
  await harness.publish([trackRecord('evt_after_1'), trackRecord('evt_after_2')]);
  await drained(harness);

  const letters = await select<{ source_id: string; reason: string; error: string; deliveries: number; payload_base64: string }>(
    harness.clickhouse,
    `SELECT source_id, reason, error, deliveries, payload_base64 FROM ${harness.table('dead_letters')} FINAL ORDER BY stream_seq`,
  );
  expect(letters.map((l) => [l.source_id, l.reason, Number(l.deliveries)])).toEqual([
    ['', 'UNDECODABLE_ENVELOPE', 1],
    ['', 'INVALID_ENVELOPE', 1],
    ['source_a', 'REJECTED_BY_CLICKHOUSE', 2],
  ]);
  expect(Buffer.from(letters[0].payload_base64, 'base64')).toEqual(truncated);
  expect(letters[2].error).toMatch(/Cannot parse input/);
  expect((await harness.jsm.streams.info(deadLetterStreamName(harness.config))).state.messages).toBe(3);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events_final')} WHERE event_id LIKE 'evt_after_%'`)).toBe(2);
  expect(harness.sink?.stats.deadLetters).toBe(3);
});
