/**
 * The sink process killed with SIGKILL mid-stream and started again: every
 * record is present (as FINAL reads it), and none is written twice beyond
 * the batches in flight at the kill (as the raw table holds it). The sink runs as the real `tributary sink`
 * child process on its own embedded ClickHouse folder.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { JetStreamPublisher } from '../../../src/publish/jetstream-publisher';
import { NatsLink } from '../../../src/stream/connection';
import { ANY_PORTS, listeningPorts, queryEmbedded, startCli, type CliProcess } from '../../helpers/cli-process';
import { envelopeMessages } from '../../helpers/envelopes';
import { NatsServer } from '../../helpers/nats-server';
import { trackRecord } from '../../helpers/records';
import { waitFor } from '../../helpers/wait';

const TOTAL = 3000;
jest.setTimeout(120_000);
let nats: NatsServer;
let link: NatsLink;
let jsm: JetStreamManager;
let dataDir: string;
const id = randomBytes(4).toString('hex');
const env = () => ({
  NATS_URL: nats.url,
  ...ANY_PORTS,
  TRIBUTARY_STREAM: `C_${id}`,
  TRIBUTARY_SUBJECT_PREFIX: `c${id}`,
  TRIBUTARY_DATA_DIR: dataDir,
  TRIBUTARY_SINK_BATCH_SIZE: '100',
  // What the killed sink held comes back after the ack wait.
  TRIBUTARY_SINK_ACK_WAIT: '3s',
});

beforeAll(async () => {
  nats = await NatsServer.start();
  link = await NatsLink.open(nats.url, 'sink', pino({ level: 'silent' }));
  jsm = await jetstreamManager(link.nc);
  dataDir = mkdtempSync(join(tmpdir(), 'tributary-crash-'));
});
afterAll(async () => {
  await link.drain();
  await nats.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function publish(publisher: JetStreamPublisher, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 500) {
    const records = Array.from({ length: Math.min(500, to - start) }, (_, i) => trackRecord(`evt_crash_${start + i}`));
    await publisher.publish(envelopeMessages(`c${id}`, records));
  }
}

const ackFloor = async () => (await jsm.consumers.info(`C_${id}`, 'tributary-sink')).ack_floor.stream_seq;

it('stores every record exactly once across a SIGKILL and a restart', async () => {
  let sink: CliProcess = startCli(['sink'], env());
  const httpPort = (await listeningPorts(sink, false)).http;
  await waitFor('the sink to create its consumer', () => jsm.consumers.info(`C_${id}`, 'tributary-sink'));
  const publisher = new JetStreamPublisher(link, { maxInFlight: 1000, maxInFlightBytes: 1 << 30, timeoutMs: 10_000 });
  await publish(publisher, 0, TOTAL / 2);
  const readyz = await waitFor('the sink role to answer /readyz', () =>
    fetch(`http://127.0.0.1:${httpPort}/readyz`).then(
      (r) => r.json(),
      () => undefined,
    ),
  );
  expect(readyz).toEqual({ ready: true, checks: { sink: true, identity: true } });
  await waitFor('the sink to be part-way through', async () => ((await ackFloor()) >= 200 ? true : undefined));
  sink.child.kill('SIGKILL');
  expect(await sink.exited).toBe('SIGKILL');
  const floorAtKill = await ackFloor();

  await publish(publisher, TOTAL / 2, TOTAL);
  publisher.close();
  sink = startCli(['sink'], env());
  await waitFor('the restarted sink to ack every record', async () => ((await ackFloor()) === TOTAL ? true : undefined), 60_000);
  sink.child.kill('SIGTERM');
  expect(await sink.exited).toBe(0);

  // Nothing lost: every record once, as FINAL reads the table.
  const [final] = await queryEmbedded<{ rows: number; ids: number }>(dataDir, `SELECT count() AS rows, uniqExact(event_id) AS ids FROM tributary.events FINAL`);
  expect(final).toEqual({ rows: TOTAL, ids: TOTAL });
  // Nothing written twice beyond what the kill can explain: FINAL hides duplicates, so the raw table is read. Only
  // records delivered and not yet acked when the sink died (at most max_ack_pending, two batches, past the ack
  // floor) may have been written by both sinks; a record anywhere else in two rows was stored twice.
  const inFlight = { after: floorAtKill, upTo: floorAtKill + 2 * 100 };
  const [raw] = await queryEmbedded<{ rows: number; twiceElsewhere: number }>(
    dataDir,
    `SELECT sum(c) AS rows, countIf(c > 1 AND (s <= ${inFlight.after} OR s > ${inFlight.upTo})) AS twiceElsewhere FROM (SELECT event_id, count() AS c, min(stream_seq) AS s FROM tributary.events GROUP BY event_id)`,
  );
  expect(raw.twiceElsewhere).toBe(0);
  expect(raw.rows).toBeLessThanOrEqual(TOTAL + (inFlight.upTo - inFlight.after));
});
