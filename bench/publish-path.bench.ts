/**
 * Which way to publish to JetStream: js.publish() (one request per message)
 * against core publishes with a reply subject and one subscription collecting
 * the PubAcks (JetStreamPublisher, the gateway's path). Both publish the same
 * Envelope (the track fixture) with Nats-Msg-Id to one file-backed stream on a
 * nats-server started here, and report records/s and CPU per record.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { loadConfig } from '../src/config/load';
import { Record } from '../src/gen/tributary/ingest/v1/record';
import { encodeEnvelope } from '../src/publish/envelope';
import { JetStreamPublisher } from '../src/publish/jetstream-publisher';
import type { OutboundMessage } from '../src/publish/publisher';
import { NatsLink } from '../src/stream/connection';
import { freePort } from '../src/stream/free-port';
import { findNatsServer, NatsServerProcess } from '../src/stream/nats-server-process';
import { ensureStream, streamConfig } from '../src/stream/stream-definition';

/** Records per measured run, batch size (the gateway's default maximum) and batches in flight. */
const RECORDS = 50_000;
const BATCH = 500;
const WINDOW = 8;

interface Figure {
  readonly path: string;
  readonly 'records/s': number;
  readonly 'CPU µs/record': number;
}

async function measure(path: string, run: () => Promise<void>): Promise<Figure> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { path, 'records/s': Math.round(RECORDS / seconds), 'CPU µs/record': Math.round(((used.user + used.system) / RECORDS) * 10) / 10 };
}

/** Runs `task` for every batch index, at most WINDOW at once. */
async function windowed(batches: number, task: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: WINDOW }, async () => {
    while (next < batches) await task(next++);
  }));
}

async function main(): Promise<void> {
  const binary = findNatsServer();
  if (binary === undefined) throw new Error('nats-server is not installed (make system-deps)');
  const store = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  const server = new NatsServerProcess(await freePort(), store, binary);
  await server.resume();
  const logger = pino({ level: 'warn' });
  const config = loadConfig({}, { natsUrl: server.url, stream: 'BENCH', subjectPrefix: 'bench' });
  const link = await NatsLink.open(config.natsUrl, logger);
  try {
    await ensureStream(await jetstreamManager(link.nc), streamConfig(config));
    const fixture = join(__dirname, '..', '..', 'test', 'fixtures', 'records', 'valid', 'track.json');
    const recordBytes = Record.encode(Record.fromJSON(JSON.parse(readFileSync(fixture, 'utf8')))).finish();
    const now = new Date();
    const data = encodeEnvelope(recordBytes, { sourceId: 'bench', receivedAt: now, timestamp: now, sentAt: undefined });
    const messages = (run: string, batch: number): OutboundMessage[] =>
      Array.from({ length: BATCH }, (_, i) => ({ subject: 'bench.bench.event.track', msgId: `${run}-${batch}-${i}`, data }));

    const js = jetstream(link.nc);
    const publisher = new JetStreamPublisher(link, { maxInFlight: BATCH * WINDOW, timeoutMs: 30_000 });
    const figures = [
      await measure('js.publish() per message', () => windowed(RECORDS / BATCH, (b) => Promise.all(messages('js', b).map((m) => js.publish(m.subject, m.data, { msgID: m.msgId }))))),
      await measure('core publish + collected PubAcks', () => windowed(RECORDS / BATCH, (b) => publisher.publish(messages('core', b)))),
    ];
    publisher.close();
    console.log(`publish paths: ${RECORDS} records of ${data.length} B, batches of ${BATCH}, ${WINDOW} batches in flight, nats-server ${binary}`);
    console.table(figures);
  } finally {
    await link.drain();
    await server.pause();
    rmSync(store, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
