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
jest.setTimeout(360_000);
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
  // Small batches, so the replay takes many, and is killed between them. The ack wait is the default (30 s): what the killed sink
  // held comes back to the next one only after messages past the window, which the replay must not take for its end.
  TRIBUTARY_SINK_BATCH_SIZE: '200',
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
/** The rows of the records replayed (not of those sent after the window). */
const WINDOW_ROWS = "event_id LIKE 'evt_kill_%'";
const rows = async (final: boolean) =>
  Number(((await postAdminQuery(`127.0.0.1:${sinkHttp}`, adminKey, `SELECT count() AS n FROM tributary.events${final ? ' FINAL' : ''} WHERE ${WINDOW_ROWS}`)) as { n: number }[])[0].n);

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
  const publish = async (name: string, from: number, to: number) => {
    for (let start = from; start < to; start += 1000) {
      await publisher.publish(
        envelopeMessages(
          `k${id}`,
          Array.from({ length: Math.min(1000, to - start) }, (_, i) => trackRecord(`${name}_${start + i}`)),
        ),
      );
    }
  };
  await publish('evt_kill', 0, TOTAL);
  await waitFor('every record stored', async () => ((await rows(false)) === TOTAL ? true : undefined), 120_000);

  // The rows lost downstream: removed while no process holds the folder.
  await stopSink('SIGTERM');
  await commandEmbedded(dataDir, 'TRUNCATE TABLE tributary.events');
  await startSink();
  expect(await rows(false)).toBe(0);

  const store = await TaskStore.open(link, tasksBucket(stream), 1);
  const api = new TasksApi({ store, lastSeq: async () => (await jsm.streams.info(stream)).state.last_seq, knownSource: () => true, now: () => new Date(), logger });
  const { task } = await api.startReplay({ from: { $case: 'fromSequence', value: 1 }, to: undefined, sourceIds: [], calls: [], names: [], includeBlocked: false });
  expect(task!.replay!.toSequence).toBe(TOTAL);
  // Live traffic goes on past the window.
  await publish('evt_after', 0, 2000);
  publisher.close();
  const progressOf = async () => (await api.get({ id: task!.id })).task!;
  await waitFor('the replay halfway', async () => ((await progressOf()).progress!.stored >= TOTAL / 2 ? true : undefined), 60_000);
  await stopSink('SIGKILL');
  const halfway = await progressOf();
  expect([halfway.status, halfway.progress!.stored < TOTAL]).toEqual([TaskStatus.RUNNING, true]);
  const [atKill] = await queryEmbedded<{ n: string }>(dataDir, `SELECT count() AS n FROM tributary.events WHERE ${WINDOW_ROWS}`);
  expect(Number(atKill.n)).toBeLessThan(TOTAL);

  // A new process on the same folder claims the task once the dead one's lease has lapsed, and goes on from its consumer: the messages
  // the dead one held come again after those past the window, and the replay does not end before they have.
  await startSink();
  const finished: Task = await waitFor(
    'the replay finished',
    async () => {
      const now = await progressOf();
      return now.status === TaskStatus.RUNNING ? undefined : now;
    },
    180_000,
  );
  expect(finished.status).toBe(TaskStatus.FINISHED);
  expect(finished.progress!.lastSequence).toBe(TOTAL);
  const [raw, final] = [await rows(false), await rows(true)];
  console.log(
    `replay killed at ${halfway.progress!.stored} rows counted stored (${atKill.n} rows in the table); finished with ${finished.progress!.stored} counted stored; events raw ${raw}, FINAL ${final}`,
  );
  expect([raw, final]).toEqual([TOTAL, TOTAL]);
  await stopSink('SIGTERM');
  const [ids] = await queryEmbedded<{ n: string }>(dataDir, `SELECT uniqExact(event_id) AS n FROM tributary.events WHERE ${WINDOW_ROWS}`);
  expect(Number(ids.n)).toBe(TOTAL);
});
