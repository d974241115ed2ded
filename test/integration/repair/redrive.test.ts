/**
 * Dead-letter redrives against a real nats-server and the real ClickHouse
 * engine: the sink and the identity stage run in this process with the task
 * stage beside them, and redrives are asked for through the tasks API.
 * Links the group-size cap refused, redriven while the cap is as it was,
 * go back to the dead letters once each, with their reason, marked with
 * the task; redriven once the cap is raised (a new identity stage, as a
 * restart with a larger TRIBUTARY_IDENTITY_MAX_GROUP makes), they are
 * applied and the letters marked redriven; a second redrive does nothing.
 * A record ClickHouse refuses goes back once through the sink's path.
 */
import pino from 'pino';
import { jetstream } from '@nats-io/jetstream';
import { TaskStatus, TaskType, type RedriveDeadLettersRequest, type Task } from '../../../src/gen/tributary/admin/v1/admin_service';
import { startIdentity, type IdentityStage } from '../../../src/identity/identity-stage';
import { Metrics } from '../../../src/observability/metrics';
import { deadLetterStreamName } from '../../../src/stream/dead-letter-stream';
import { count, select } from '../../helpers/clickhouse';
import { alias, deliverEach, identify, ids } from '../../helpers/identity-records';
import { trackRecord } from '../../helpers/records';
import { drained, SinkHarness } from '../../helpers/sink-harness';
import { TaskHarness } from '../../helpers/task-harness';

jest.setTimeout(180_000);
const CAP = 3;
let harness: SinkHarness;
let tasks: TaskHarness;
let raised: IdentityStage | undefined;

beforeAll(async () => {
  harness = await SinkHarness.create({ identityMaxGroup: String(CAP), sinkMaxDeliveries: '2' });
  tasks = await TaskHarness.create(harness);
});
afterAll(async () => {
  await tasks?.close();
  await raised?.stop();
  await harness?.close();
});

/** Asks for a redrive of `reasons` (and what `more` selects) and waits for its end. */
const redrive = async (reasons: string[], more: Partial<RedriveDeadLettersRequest> = {}): Promise<Task> => {
  const { task } = await tasks.api.startRedrive({ reasons, sourceIds: [], fromTime: undefined, toTime: undefined, rate: 0, ...more });
  return tasks.ended(task!.id);
};

interface Letter {
  stream_seq: string;
  source_id: string;
  reason: string;
  error: string;
  redriven_by: string;
  last_redrive: string;
}
const letters = (where: string) =>
  select<Letter>(harness.clickhouse, `SELECT stream_seq, source_id, reason, error, redriven_by, last_redrive FROM ${harness.table('dead_letters')} FINAL WHERE ${where} ORDER BY stream_seq`);
/** What accounting_minutes counts of dead letters and redrives, over every minute. */
const redrives = () =>
  select<{ stage: string; measure: string; reason: string; n: number }>(
    harness.clickhouse,
    `SELECT stage, measure, reason, toUInt32(sum(count)) AS n FROM ${harness.table('accounting_minutes')} WHERE measure IN ('dead_lettered', 'redriven') GROUP BY stage, measure, reason ORDER BY stage, measure, reason`,
  );
const letterMessages = async () => (await harness.jsm.streams.info(deadLetterStreamName(harness.config))).state.messages;

it('returns links refused again once, then applies them once the cap is raised, and a second redrive does nothing', async () => {
  const id = ids();
  const [profile, hub] = [id('p'), id('hub')];
  // The identify makes a group of 2, the first alias one of 3; the cap refuses the other four.
  const chain = Array.from({ length: 5 }, (_, i) => alias(id(`a${i}`), profile, hub, id(`u${i}`), 2 + i));
  await deliverEach(harness, undefined, [identify(id('i'), profile, hub, 1)], chain);
  const refused = `error LIKE '%user:${hub}%'`;
  expect((await letters(refused)).map((l) => l.reason)).toEqual(Array(4).fill('IDENTITY_LINK_REFUSED'));
  const messagesBefore = await letterMessages();

  // The cause is not fixed: each goes back once, with its reason, marked with the task.
  const again = await redrive(['IDENTITY_LINK_REFUSED']);
  expect(again.status).toBe(TaskStatus.FINISHED);
  expect(again.progress).toMatchObject({ read: 4, stored: 0, skipped: 4 });
  const back = await letters(refused);
  expect(back.map((l) => [l.reason, l.redriven_by, l.last_redrive])).toEqual(Array(4).fill(['IDENTITY_LINK_REFUSED', '', again.id]));
  expect(back.every((l) => l.error.startsWith('group-size cap: '))).toBe(true);
  expect(await letterMessages()).toBe(messagesBefore + 4);
  // The last four messages of the dead-letter stream are the letters that came back, each naming the task.
  const info = await harness.jsm.streams.info(deadLetterStreamName(harness.config));
  for (let seq = info.state.last_seq - 3; seq <= info.state.last_seq; seq++) {
    const message = await harness.jsm.streams.getMessage(deadLetterStreamName(harness.config), { seq });
    expect(message?.header.get('Tributary-Redrive')).toBe(again.id);
  }

  // The cap raised, as a restart of the process with a larger TRIBUTARY_IDENTITY_MAX_GROUP makes it.
  await tasks.stopStage();
  await harness.identity?.stop();
  harness.identity = undefined;
  raised = await startIdentity({ ...harness.config, identityMaxGroup: 10 }, pino({ level: 'silent' }), harness.clickhouse, new Metrics());
  await tasks.startStage(raised);
  const applied = await redrive(['IDENTITY_LINK_REFUSED']);
  expect(applied.progress).toMatchObject({ read: 4, stored: 4, skipped: 0 });
  const links = await select<{ event_id: string; effect: string }>(
    harness.clickhouse,
    `SELECT event_id, effect FROM ${harness.table('identity_links')} FINAL WHERE left_node = 'user:${hub}' ORDER BY stream_seq`,
  );
  expect(links.map((l) => l.effect)).toEqual(['linked', 'linked', 'linked', 'linked', 'linked']);
  expect(await select(harness.clickhouse, `SELECT master_id, group_size FROM ${harness.table('profile_masters_current')} WHERE profile_id = '${profile}'`)).toEqual([
    { master_id: profile, group_size: 7 },
  ]);
  expect((await letters(refused)).map((l) => l.redriven_by)).toEqual(Array(4).fill(applied.id));
  expect(await letterMessages()).toBe(messagesBefore + 4);
  // The accounting counts them as redriven at the identity stage, and the links as applied.
  expect(await redrives()).toEqual([{ stage: 'identity', measure: 'redriven', reason: 'IDENTITY_LINK_REFUSED', n: 4 }]);

  // One redrive at a time: another is refused while one runs (here, while no stage runs it), and of two asked for at once, one.
  await tasks.stopStage();
  const ask = () => tasks.api.startRedrive({ reasons: [], sourceIds: [], fromTime: undefined, toTime: undefined, rate: 0 });
  const { task: waiting } = await ask();
  await expect(ask()).rejects.toMatchObject({ reason: 'REDRIVE_RUNNING' });
  expect((await tasks.api.cancel({ id: waiting!.id })).task?.status).toBe(TaskStatus.CANCELLED);
  const both = await Promise.allSettled([ask(), ask()]);
  expect(both.map((r) => (r.status === 'fulfilled' ? 'started' : (r.reason as { reason: string }).reason)).sort()).toEqual(['REDRIVE_RUNNING', 'started']);
  const [started] = both.flatMap((r) => (r.status === 'fulfilled' ? [r.value.task!.id] : []));
  expect((await tasks.api.cancel({ id: started })).task?.status).toBe(TaskStatus.CANCELLED);
  expect((await tasks.api.list()).tasks.filter((t) => t.type === TaskType.REDRIVE && t.status === TaskStatus.RUNNING)).toEqual([]);
  await tasks.startStage(raised);

  // A second redrive finds nothing to send.
  const twice = await redrive([]);
  expect(twice.progress).toMatchObject({ read: 0, stored: 0, skipped: 0 });
  expect((await letters(refused)).map((l) => l.redriven_by)).toEqual(Array(4).fill(applied.id));
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('identity_links')} WHERE left_node = 'user:${hub}'`)).toBeGreaterThanOrEqual(5);
});

it('returns a record ClickHouse refuses again to the dead letters once, through the sink path', async () => {
  // Past the year 9999 a timestamp has no DateTime64 text ClickHouse reads: the row is refused however often it is sent.
  const unreadable = { ...trackRecord('evt_redrive_year_10000'), timestamp: new Date('+010000-01-01T00:00:00.000Z') };
  await harness.publish([unreadable]);
  // And a message that is not a Tributary record: no redrive sends it.
  await jetstream(harness.link.nc).publish(`${harness.config.subjectPrefix}.source_a.event.track`, Buffer.from([0x0a, 0x05, 0x0a]), { msgID: 'truncated-redrive' });
  await drained(harness);
  const where = "reason = 'REJECTED_BY_CLICKHOUSE'";
  expect(await letters(where)).toHaveLength(1);
  const before = await letterMessages();
  // Filters that leave it out: another source, a window that ended before it was set aside.
  expect((await redrive([], { sourceIds: ['nobody'] })).progress).toMatchObject({ read: 0 });
  expect((await redrive(['REJECTED_BY_CLICKHOUSE'], { toTime: new Date(Date.now() - 3_600_000) })).progress).toMatchObject({ read: 0 });
  // Every source and reason: the message that is not a record is not read.
  const task = await redrive([], { fromTime: new Date(Date.now() - 3_600_000) });
  expect(task.progress).toMatchObject({ read: 1, stored: 0, skipped: 1 });
  const [letter] = await letters(where);
  expect([letter.redriven_by, letter.last_redrive]).toEqual(['', task.id]);
  expect(letter.error).toMatch(/Cannot parse input/);
  expect(await letterMessages()).toBe(before + 1);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events')} WHERE event_id = 'evt_redrive_year_10000'`)).toBe(0);
  expect((await letters("reason = 'UNDECODABLE_ENVELOPE'")).map((l) => [l.redriven_by, l.last_redrive])).toEqual([['', '']]);
  // Still dead letters, in the accounting too.
  expect((await redrives()).filter((r) => r.stage === 'sink')).toEqual([
    { stage: 'sink', measure: 'dead_lettered', reason: 'REJECTED_BY_CLICKHOUSE', n: 1 },
    { stage: 'sink', measure: 'dead_lettered', reason: 'UNDECODABLE_ENVELOPE', n: 1 },
  ]);
});
