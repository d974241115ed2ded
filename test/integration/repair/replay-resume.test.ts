/**
 * A replay taken up from a runner that stopped while it held messages,
 * against a real nats-server and the real ClickHouse engine: the messages
 * the stopped runner held come again only once their ack wait ends, after
 * messages past the window; the replay must not end before they have, or
 * their rows stay missing. Here a fetch that never acks stands for the
 * stopped runner, on the replay's own consumer.
 */
import { AckPolicy, DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { TaskStatus } from '../../../src/gen/tributary/admin/v1/admin_service';
import { replayConsumerPrefix } from '../../../src/stages/consumers';
import { count } from '../../helpers/clickhouse';
import { trackRecord } from '../../helpers/records';
import { drained, SinkHarness } from '../../helpers/sink-harness';
import { TaskHarness } from '../../helpers/task-harness';

jest.setTimeout(120_000);
const WINDOW = 300;
const HELD = 40;
let harness: SinkHarness;
let tasks: TaskHarness;

beforeAll(async () => {
  harness = await SinkHarness.create({ sinkBatchSize: '50', sinkAckWaitMs: '6s' });
  tasks = await TaskHarness.create(harness);
});
afterAll(async () => {
  await tasks?.close();
  await harness?.close();
});

it('does not end before the messages a stopped runner held have come again and been stored', async () => {
  const { config } = harness;
  await harness.publish(Array.from({ length: WINDOW }, (_, i) => trackRecord(`w-${i}`)));
  await drained(harness);
  await harness.clickhouse.command({ query: `TRUNCATE TABLE ${harness.table('events')}` });

  // The task, asked for while no stage runs it; the window ends at the stream's last record then, and records keep coming after it.
  await tasks.stopStage();
  const { task } = await tasks.startReplay();
  expect(task!.replay!.toSequence).toBe(WINDOW);
  await harness.publish(Array.from({ length: 200 }, (_, i) => trackRecord(`after-${i}`)));
  // The stopped runner: it made the task's consumer and took the window's first messages, and never acked them.
  const name = `${replayConsumerPrefix(config)}${task!.id}`;
  await harness.jsm.consumers.add(config.stream, {
    durable_name: name,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: 1,
    filter_subject: `${config.subjectPrefix}.>`,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(6000),
    max_ack_pending: 100,
    max_deliver: -1,
  });
  const held = await (await jetstream(harness.link.nc).consumers.get(config.stream, name)).fetch({ max_messages: HELD, expires: 2000 });
  let taken = 0;
  for await (const msg of held) taken += msg.seq <= HELD ? 1 : 0;
  expect(taken).toBe(HELD);

  await tasks.startStage();
  const done = await tasks.ended(task!.id);
  expect(done.status).toBe(TaskStatus.FINISHED);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events')} WHERE event_id LIKE 'w-%'`)).toBe(WINDOW);
  expect(done.progress).toMatchObject({ lastSequence: WINDOW, stored: WINDOW });
});
