/**
 * How fast the sink drains the stream into the embedded ClickHouse: N track
 * Envelopes published first, then the sink started and timed until it has
 * acked them all; beside it, the same rows inserted straight into the same
 * table at the sink's batch size (the raw ClickHouse baseline).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { loadConfig } from '../src/config/load';
import { Envelope } from '../src/gen/tributary/ingest/v1/envelope';
import { Record } from '../src/gen/tributary/ingest/v1/record';
import { encodeEnvelope } from '../src/publish/envelope';
import { JetStreamPublisher } from '../src/publish/jetstream-publisher';
import { ClickHouseWriter } from '../src/sink/clickhouse-writer';
import { toTableRow } from '../src/sink/rows';
import { startSink } from '../src/sink/sink';
import { createClickHouse } from '../src/storage/clickhouse-client';
import { NatsLink } from '../src/stream/connection';
import { freePort } from '../src/stream/free-port';
import { findNatsServer, NatsServerProcess } from '../src/stream/nats-server-process';

const RECORDS = 100_000;

async function main(): Promise<void> {
  const binary = findNatsServer();
  if (binary === undefined) throw new Error('nats-server is not installed (make system-deps)');
  const dir = mkdtempSync(join(tmpdir(), 'tributary-sink-bench-'));
  const server = new NatsServerProcess(await freePort(), join(dir, 'nats'), binary);
  await server.resume();
  const logger = pino({ level: 'warn' });
  const config = loadConfig({}, { natsUrl: server.url, dataDir: dir, stream: 'BENCH', subjectPrefix: 'bench' });
  const clickhouse = createClickHouse(config);
  const link = await NatsLink.open(config.natsUrl, logger);
  try {
    const fixture = JSON.parse(readFileSync(join(__dirname, '..', '..', 'test', 'fixtures', 'records', 'valid', 'track.json'), 'utf8'));
    const base = Record.fromJSON(fixture);
    const now = new Date();
    const envelopes = Array.from({ length: RECORDS }, (_, i) => encodeEnvelope(Record.encode({ ...base, eventId: `evt_${i}` }).finish(), { sourceId: 'bench', receivedAt: now, timestamp: base.timestamp ?? now, sentAt: undefined }));

    const sink = await startSink(config, logger, clickhouse);
    await sink.stop();
    const publisher = new JetStreamPublisher(link, { maxInFlight: 10_000, timeoutMs: 30_000 });
    for (let i = 0; i < RECORDS; i += 1000) {
      await publisher.publish(envelopes.slice(i, i + 1000).map((data, j) => ({ subject: 'bench.bench.event.track', msgId: `bench:evt_${i + j}`, data })));
    }
    publisher.close();

    const jsm = await jetstreamManager(link.nc);
    const cpu = process.cpuUsage();
    const start = performance.now();
    const running = await startSink(config, logger, clickhouse);
    while ((await jsm.consumers.info(config.stream, config.sinkConsumer)).ack_floor.stream_seq < RECORDS) await new Promise((r) => setTimeout(r, 50));
    const drainSeconds = (performance.now() - start) / 1000;
    const drainCpu = process.cpuUsage(cpu);
    await running.stop();

    const writer = new ClickHouseWriter(clickhouse, 'raw');
    await clickhouse.command({ query: 'CREATE DATABASE IF NOT EXISTS raw' });
    await clickhouse.command({ query: `CREATE TABLE IF NOT EXISTS raw.events AS ${config.clickhouseDatabase}.events` });
    const rows = envelopes.map((data, i) => ({ seq: i + 1, ...toTableRow(Envelope.decode(data), i + 1) }));
    const rawCpu = process.cpuUsage();
    const rawStart = performance.now();
    for (let i = 0; i < RECORDS; i += config.sinkBatchSize) await writer.write(rows.slice(i, i + config.sinkBatchSize));
    const rawSeconds = (performance.now() - rawStart) / 1000;
    const rawUsed = process.cpuUsage(rawCpu);

    console.log(`sink drain: ${RECORDS} track records (${envelopes[0].length} B envelopes), batches of ${config.sinkBatchSize}, embedded ClickHouse`);
    const figure = (path: string, seconds: number, used: NodeJS.CpuUsage) => ({ path, 'rows/s': Math.round(RECORDS / seconds), 'CPU µs/row (with chDB)': Math.round(((used.user + used.system) / RECORDS) * 10) / 10 });
    console.table([figure('sink: stream → rows → insert → ack', drainSeconds, drainCpu), figure('raw insert of the same rows', rawSeconds, rawUsed)]);
  } finally {
    await link.drain();
    await clickhouse.close();
    await server.pause();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
