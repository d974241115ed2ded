/**
 * A replay outlives the process that runs it: the real `tributary sink`
 * child process, on its own embedded ClickHouse folder, runs a replay of
 * records whose rows were removed, is killed with SIGKILL halfway, and a new
 * sink process on the same folder takes the task up once its lease has
 * lapsed and finishes it: every row is back once, raw and FINAL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { TasksApi } from '../../../src/admin/tasks-api';
import { TaskStatus, type Task } from '../../../src/gen/tributary/admin/v1/admin_service';
import { postAdminQuery } from '../../../src/http/admin-query-client';
import { JetStreamPublisher } from '../../../src/publish/jetstream-publisher';
import { NatsLink } from '../../../src/stream/connection';
import { TaskStore, tasksBucket } from '../../../src/tasks/task-store';
import { ANY_PORTS, commandEmbedded, listeningPorts, queryEmbedded, startCli, type CliProcess } from '../../helpers/cli-process';
import { envelopeMessages } from '../../helpers/envelopes';
import { NatsServer } from '../../helpers/nats-server';
import { trackRecord } from '../../helpers/records';
import { waitReady } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

const TOTAL = 20_000;
jest.setTimeout(240_000);
const logger = pino({ level: 'silent' });
const id = randomBytes(4).toString('hex');
const stream = `K_${id}`;
const adminKey = `kill-admin-key-${randomBytes(8).toString('hex')}`;
let nats: NatsServer;
let link: NatsLink;
let jsm: JetStreamManager;
let dataDir: string;
let sink: CliProcess | undefined;
let sinkHttp: number;

const env = () => ({
  NATS_URL: nats.url,
  ...ANY_PORTS,
  TRIBUTARY_STREAM: stream,
  TRIBUTARY_SUBJECT_PREFIX: `k${id}`,
  TRIBUTARY_DATA_DIR: dataDir,
  TRIBUTARY_ADMIN_KEY: adminKey,
  // Small batches, so the replay takes many, and is killed between them.
  TRIBUTARY_SINK_BATCH_SIZE: '200',
  // What the killed sink held comes back to the next one after the ack wait.
  TRIBUTARY_SINK_ACK_WAIT: '3s',
});
async function startSink(): Promise<void> {
  sink = startCli(['sink'], env());
  sinkHttp = (await listeningPorts(sink, false)).http;
  await waitReady(sinkHttp);
}
async function stopSink(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  sink?.child.kill(signal);
  await sink?.exited;
  sink = undefined;
}
const rows = async (final: boolean) => Number(((await postAdminQuery(`127.0.0.1:${sinkHttp}`, adminKey, `SELECT count() AS n FROM tributary.events${final ? ' FINAL' : ''}`)) as { n: number }[])[0].n);

beforeAll(async () => {
  nats = await NatsServer.start();
  link = await NatsLink.open(nats.url, 'test', logger);
  jsm = await jetstreamManager(link.nc);
  dataDir = mkdtempSync(join(tmpdir(), 'tributary-replay-kill-'));
});
afterAll(async () => {
  await stopSink('SIGTERM');
  await link?.drain();
  await nats?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('resumes a replay after a SIGKILL of its sink, and finishes it without a duplicate row', async () => {
  await startSink();
  const publisher = new JetStreamPublisher(link, { maxInFlight: 100_000, maxInFlightBytes: 1 << 30, timeoutMs: 30_000 });
  for (let start = 0; start < TOTAL; start += 1000) {
    await publisher.publish(
      envelopeMessages(
        `k${id}`,
        Array.from({ length: 1000 }, (_, i) => trackRecord(`evt_kill_${start + i}`)),
      ),
    );
  }
  publisher.close();
  await waitFor('every record stored', async () => ((await rows(false)) === TOTAL ? true : undefined), 120_000);

  // The rows lost downstream: removed while no process holds the folder.
  await stopSink('SIGTERM');
  await commandEmbedded(dataDir, 'TRUNCATE TABLE tributary.events');
  await startSink();
  expect(await rows(false)).toBe(0);

  const store = await TaskStore.open(link, tasksBucket(stream), 1);
  const api = new TasksApi({ store, lastSeq: async () => (await jsm.streams.info(stream)).state.last_seq, knownSource: () => true, now: () => new Date(), logger });
  const { task } = await api.startReplay({ from: { $case: 'fromSequence', value: 1 }, to: undefined, sourceIds: [], calls: [], names: [], includeBlocked: false });
  const progressOf = async () => (await api.get({ id: task!.id })).task!;
  const halfway = await waitFor('the replay a few batches in', async () => {
    const now = await progressOf();
    return (now.progress?.stored ?? 0) >= 2000 ? now : undefined;
  });
  await stopSink('SIGKILL');
  expect(halfway.status).toBe(TaskStatus.RUNNING);
  expect(halfway.progress!.stored).toBeLessThan(TOTAL);

  // A new process on the same folder claims the task once the dead one's lease has lapsed, and goes on from its consumer.
  await startSink();
  const finished: Task = await waitFor(
    'the replay finished',
    async () => {
      const now = await progressOf();
      return now.status === TaskStatus.RUNNING ? undefined : now;
    },
    120_000,
  );
  expect(finished.status).toBe(TaskStatus.FINISHED);
  expect(finished.progress!.lastSequence).toBe(TOTAL);
  const [raw, final] = [await rows(false), await rows(true)];
  console.log(`replay killed at ${halfway.progress!.stored} rows stored; finished with ${finished.progress!.stored} counted stored; events raw ${raw}, FINAL ${final}`);
  expect([raw, final]).toEqual([TOTAL, TOTAL]);
  await stopSink('SIGTERM');
  const [ids] = await queryEmbedded<{ n: string }>(dataDir, 'SELECT uniqExact(event_id) AS n FROM tributary.events');
  expect(Number(ids.n)).toBe(TOTAL);
});
