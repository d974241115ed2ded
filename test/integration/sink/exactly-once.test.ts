/**
 * One row per event however often it arrives, shown layer by layer:
 * storage (ReplacingMergeTree: the same records reaching the stream twice),
 * the insert deduplication token (a retried insert), and redelivery (a batch
 * written, then nak'ed and written again by the sink; a batch written in
 * part, then redelivered whole; a consumer that lost its state delivering
 * everything again as new): one row per event before FINAL too.
 */
import { jetstream } from '@nats-io/jetstream';
import { sinkRow } from '../../../src/sink/sink-batches';
import { RowBuffers } from '../../../src/sink/row-buffers';
import { ClickHouseWriter, type PendingRow } from '../../../src/storage/clickhouse-writer';
import { count } from '../../helpers/clickhouse';
import { validRecords } from '../../helpers/records';
import { drained, SinkHarness } from '../../helpers/sink-harness';

let harness: SinkHarness;
beforeAll(async () => {
  harness = await SinkHarness.create();
});
afterAll(async () => {
  await harness.close();
});

const rowsOf = async (table: string, suffix: string, final: boolean): Promise<number> =>
  count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table(table)}${final ? ' FINAL' : ''} WHERE event_id LIKE '%${suffix}'`);

const optimize = async () => {
  for (const table of ['events', 'products']) await harness.clickhouse.command({ query: `OPTIMIZE TABLE ${harness.table(table)} FINAL` });
};

it('keeps one row per event when the same records reach the stream twice', async () => {
  const records = validRecords('-twice');
  await harness.publish(records);
  await harness.publish(records, { msgIdSuffix: '#after-the-duplicate-window' });
  await drained(harness);
  expect(await harness.consumerState()).toMatchObject({ ackFloor: 2 * records.length });

  expect(await rowsOf('events', '-twice', true)).toBe(6);
  expect(await rowsOf('products', '-twice', true)).toBe(3);
  await optimize();
  expect(await rowsOf('events', '-twice', false)).toBe(6);
  expect(await rowsOf('products', '-twice', false)).toBe(3);
});

it('stores a retried insert once because of its deduplication token', async () => {
  const writer = new ClickHouseWriter(harness.clickhouse, harness.config.clickhouseDatabase);
  const acks = await harness.publish(validRecords('-token'), { msgIdSuffix: '#token' });
  await drained(harness);
  const rows: PendingRow[] = await Promise.all(acks.map(async ({ seq }) => sinkRow((await harness.jsm.streams.getMessage(harness.config.stream, { seq }))!.data, seq + 1_000_000, new RowBuffers())));
  const before = await rowsOf('events', '-token', false);

  await writer.write(rows);
  await writer.write(rows);
  expect(await rowsOf('events', '-token', false)).toBe(before + 6);

  await writer.write(rows.map((r) => ({ ...r, seq: r.seq + 1 })));
  expect(await rowsOf('events', '-token', false)).toBe(before + 12);
  expect(await rowsOf('events', '-token', true)).toBe(6);
});

it('keeps one row per event when a written batch is nak-ed and redelivered', async () => {
  await harness.sink?.stop();
  const records = validRecords('-nak');
  await harness.publish(records);
  const consumer = await jetstream(harness.link.nc).consumers.get(harness.config.stream, harness.config.sinkConsumer);
  const batch = [];
  for await (const msg of await consumer.fetch({ max_messages: records.length, expires: 5000 })) batch.push(msg);
  expect(batch).toHaveLength(records.length);
  const writer = new ClickHouseWriter(harness.clickhouse, harness.config.clickhouseDatabase);
  const lines = new RowBuffers();
  const rows: PendingRow[] = batch.map((msg) => sinkRow(msg.data, msg.seq, lines));
  await writer.write(rows);
  for (const msg of batch) msg.nak();

  const restarted = await harness.startSink();
  await drained(harness);
  // Found stored, so left out: nothing is inserted again.
  expect(restarted.stats.rowsWritten).toBe(0);
  expect(await rowsOf('events', '-nak', true)).toBe(6);
  expect(await rowsOf('products', '-nak', true)).toBe(3);
  await optimize();
  expect(await rowsOf('events', '-nak', false)).toBe(6);
  expect(await rowsOf('products', '-nak', false)).toBe(3);
});

/** Fetches `count` messages off the sink's consumer while the sink is stopped. */
async function fetchBatch(count: number) {
  const consumer = await jetstream(harness.link.nc).consumers.get(harness.config.stream, harness.config.sinkConsumer);
  const batch = [];
  for await (const msg of await consumer.fetch({ max_messages: count, expires: 5000 })) batch.push(msg);
  expect(batch).toHaveLength(count);
  return batch;
}

it('keeps one row per event before FINAL when a batch stored in part comes back whole (cut into other inserts)', async () => {
  await harness.sink?.stop();
  const records = validRecords('-part');
  await harness.publish(records);
  const batch = await fetchBatch(records.length);
  // The first delivery was cut into a batch of 4 that was stored, and its acks were lost.
  const lines = new RowBuffers();
  await new ClickHouseWriter(harness.clickhouse, harness.config.clickhouseDatabase).write(batch.slice(0, 4).map((msg) => sinkRow(msg.data, msg.seq, lines)));
  for (const msg of batch) msg.nak();

  const restarted = await harness.startSink();
  await drained(harness);
  expect(restarted.stats.rowsWritten).toBe(records.length - 4);
  expect(await rowsOf('events', '-part', false)).toBe(6);
  expect(await rowsOf('products', '-part', false)).toBe(3);
});

it('stores nothing twice when the consumer is made anew and delivers everything again as new', async () => {
  // A harness of its own, so that nothing of the tests above (rows merged away by OPTIMIZE) is delivered again.
  const own = await SinkHarness.create();
  try {
    const records = validRecords('-anew');
    await own.publish(records);
    await drained(own);
    await own.sink?.stop();
    const lastSeq = (await own.jsm.streams.info(own.config.stream)).state.last_seq;
    await own.jsm.consumers.delete(own.config.stream, own.config.sinkConsumer);

    const restarted = await own.startSink();
    await drained(own);
    expect((await own.jsm.consumers.info(own.config.stream, own.config.sinkConsumer)).ack_floor.stream_seq).toBe(lastSeq);
    expect(restarted.stats.rowsWritten).toBe(0);
    const rows = (table: string) => count(own.clickhouse, `SELECT count() AS n FROM ${own.table(table)} WHERE event_id LIKE '%-anew'`);
    expect({ events: await rows('events'), products: await rows('products') }).toEqual({ events: 6, products: 3 });
  } finally {
    await own.close();
  }
});
