/**
 * Replays against a real nats-server and the real ClickHouse engine: the
 * sink runs in this process with the task stage beside it, and replays are
 * asked for through the tasks API. A replay over stored rows adds none (raw
 * and FINAL counts); after rows are deleted, a replay of their window
 * restores exactly them and nothing outside it; filters by source, call and
 * name select exactly their records; neither a suppressed person's records
 * nor those an erasure covered are restored (those sent after the erasure
 * are); a cancel stops a replay halfway, and ends at once a task nobody
 * holds; no more tasks run than the cap; a replay whose stage stopped
 * halfway is finished by the next stage, without a duplicate row.
 */
import type { Task } from '../../../src/gen/tributary/admin/v1/admin_service';
import { TaskStatus } from '../../../src/gen/tributary/admin/v1/admin_service';
import type { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { MAX_RUNNING_TASKS } from '../../../src/admin/tasks-api';
import { replayConsumerPrefix } from '../../../src/stages/consumers';
import { count, select } from '../../helpers/clickhouse';
import { trackRecord } from '../../helpers/records';
import { drained, SinkHarness } from '../../helpers/sink-harness';
import { TaskHarness } from '../../helpers/task-harness';
import { DEFAULT_SOURCE_SETTINGS, type SourcePlan } from '../../../src/config/source-settings';
import { parsePlan } from '../../../src/plan/parse-plan';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(180_000);
let harness: SinkHarness;
let tasks: TaskHarness;
/** The tracking plan of source "web" now, if any. */
let webPlan: SourcePlan | undefined;

beforeAll(async () => {
  // Small batches, so a replay of a few thousand records takes many of them.
  harness = await SinkHarness.create({ sinkBatchSize: '50' });
  tasks = await TaskHarness.create(harness, (source) => (source === 'web' && webPlan !== undefined ? { ...DEFAULT_SOURCE_SETTINGS, plan: webPlan } : DEFAULT_SOURCE_SETTINGS));
});
afterAll(async () => {
  await tasks?.close();
  await harness?.close();
});

/** A track of `name` by `profile`, with event id `id`. */
const track = (id: string, name: string, profile = 'usr_1'): Record => {
  const record = trackRecord(id, name);
  if (record.kind?.$case === 'event') record.kind.value.profileId = profile;
  return record;
};
const events = () => harness.table('events');
const rows = (where = '1') => count(harness.clickhouse, `SELECT count() AS n FROM ${events()} WHERE ${where}`);
const finalRows = (where = '1') => count(harness.clickhouse, `SELECT count() AS n FROM ${events()} FINAL WHERE ${where}`);
const eventIds = async (where: string) =>
  (await harness.clickhouse.query({ query: `SELECT event_id FROM ${events()} WHERE ${where} ORDER BY event_id`, format: 'JSONEachRow' }).then((r) => r.json<{ event_id: string }>())).map(
    (r) => r.event_id,
  );
const deleteRows = (where: string) => harness.clickhouse.command({ query: `ALTER TABLE ${events()} DELETE WHERE ${where}`, clickhouse_settings: { mutations_sync: '2' } });

/** The names of the stream's replay consumers. */
const replayConsumers = async () => {
  const names: string[] = [];
  for await (const info of harness.jsm.consumers.list(harness.config.stream)) if (info.name.startsWith(replayConsumerPrefix(harness.config))) names.push(info.name);
  return names;
};

const ended = (id: string): Promise<Task> => tasks.ended(id);
const replay = async (request: Partial<Parameters<TaskHarness['api']['startReplay']>[0]>): Promise<Task> => {
  const { task } = await tasks.startReplay(request);
  return ended(task!.id);
};

// 120 tracks: 1-60 from "web" (Bought and Viewed by turns), 61-120 from "app" (all Viewed).
const web = Array.from({ length: 60 }, (_, i) => track(`w-${String(i + 1).padStart(3, '0')}`, i % 2 === 0 ? 'Bought' : 'Viewed'));
const app = Array.from({ length: 60 }, (_, i) => track(`a-${String(i + 1).padStart(3, '0')}`, 'Viewed'));

beforeAll(async () => {
  await harness.publish(web, { sourceId: 'web' });
  await harness.publish(app, { sourceId: 'app' });
  await drained(harness);
  expect(await rows()).toBe(120);
});

it('adds no row when it replays over stored rows', async () => {
  const task = await replay({});
  expect(task.status).toBe(TaskStatus.FINISHED);
  expect(task.progress).toMatchObject({ read: 120, stored: 0, skipped: 120, lastSequence: 120 });
  expect([await rows(), await finalRows()]).toEqual([120, 120]);
  // Its consumer is gone, the live one left as it was.
  const consumers: string[] = [];
  for await (const info of harness.jsm.consumers.list(harness.config.stream)) consumers.push(info.name);
  expect(consumers.sort()).toEqual([harness.config.sinkConsumer, ...harness.identityConsumers].sort());
});

it('restores exactly the deleted rows of its window, and nothing outside it', async () => {
  await deleteRows('stream_seq BETWEEN 21 AND 80');
  expect(await rows()).toBe(60);
  const task = await replay({ from: { $case: 'fromSequence', value: 31 }, to: { $case: 'toSequence', value: 70 } });
  expect(task.progress).toMatchObject({ read: 40, stored: 40, skipped: 0, lastSequence: 70 });
  // The accounting has them under their own term: restored, at stage replay, by source.
  expect(
    await select(
      harness.clickhouse,
      `SELECT source_id, toUInt32(sum(count)) AS n FROM ${harness.table('accounting_minutes')} WHERE stage = 'replay' AND measure = 'restored' GROUP BY source_id ORDER BY source_id`,
    ),
  ).toEqual([
    { source_id: 'app', n: 10 },
    { source_id: 'web', n: 30 },
  ]);
  expect(await eventIds('stream_seq BETWEEN 21 AND 80')).toEqual([...web.slice(30), ...app.slice(0, 10)].map((r) => r.eventId).sort());
  expect([await rows(), await finalRows()]).toEqual([100, 100]);
  // The rest: a window that starts where rows are missing and goes on over stored ones stores each missing row once.
  await replay({});
  expect([await rows(), await finalRows()]).toEqual([120, 120]);
  await deleteRows('stream_seq <= 50');
  const gap = await replay({});
  expect(gap.progress).toMatchObject({ read: 120, stored: 50, skipped: 70 });
  expect([await rows(), await finalRows()]).toEqual([120, 120]);
});

it('selects exactly the records of its sources, calls and names', async () => {
  await deleteRows('1');
  const bought = await replay({ sourceIds: ['web'], names: ['Bought'] });
  expect(bought.progress).toMatchObject({ read: 60, stored: 30, skipped: 30 });
  expect(await eventIds('1')).toEqual(web.filter((_, i) => i % 2 === 0).map((r) => r.eventId));
  const fromApp = await replay({ sourceIds: ['app'], calls: ['track'] });
  expect(fromApp.progress).toMatchObject({ read: 60, stored: 60 });
  expect(await rows(`source_id = 'app'`)).toBe(60);
  const pages = await replay({ calls: ['page'] });
  expect(pages.progress).toMatchObject({ read: 0, stored: 0 });
  await replay({});
  expect([await rows(), await finalRows()]).toEqual([120, 120]);
});

it("never restores a suppressed person's records", async () => {
  const secret = Array.from({ length: 10 }, (_, i) => track(`s-${i}`, 'Viewed', 'usr_secret'));
  await harness.publish(secret, { sourceId: 'web' });
  await drained(harness);
  expect(await rows(`profile_id = 'usr_secret'`)).toBe(10);
  await tasks.ledger.change(tasks.ledger.hasher.of('usr_secret'), () => ({ all: true, sources: [], except: [], regulation: 'test' }));
  await waitFor('the suppression in the ledger', async () => (tasks.ledger.suppressedCount > 0 ? true : undefined));
  await deleteRows(`profile_id IN ('usr_secret', 'usr_1') AND source_id = 'web'`);
  const task = await replay({ sourceIds: ['web'] });
  expect(task.progress).toMatchObject({ read: 70, stored: 60, skipped: 10 });
  expect(await rows(`profile_id = 'usr_secret'`)).toBe(0);
  expect(await rows(`source_id = 'web'`)).toBe(60);
});

it('never restores the records an erasure covered, and restores those sent after it', async () => {
  const before = Array.from({ length: 5 }, (_, i) => track(`e-before-${i}`, 'Viewed', 'usr_erased'));
  await harness.publish(before, { sourceId: 'app', receivedAt: new Date(Date.now() - 60_000) });
  // An erasure of the person, as the privacy stage records it: the regulation, then the hashed ids it covers.
  const regulation = '00000000-0000-0000-0000-0000000000e1';
  await tasks.regulations.create({
    id: regulation,
    kind: 'DELETE',
    phase: 'FINISHED',
    sources: [],
    expandIdentity: true,
    subjects: [],
    createdAt: new Date(Date.now() - 30_000).toISOString(),
    progress: 'done',
  });
  await harness.clickhouse.command({ query: `INSERT INTO ${harness.table('erasure_keys')} (regulation_id, key) VALUES ('${regulation}', '${tasks.ledger.hasher.of('usr_erased')}')` });
  const after = Array.from({ length: 3 }, (_, i) => track(`e-after-${i}`, 'Viewed', 'usr_erased'));
  await harness.publish(after, { sourceId: 'app' });
  await drained(harness);
  await deleteRows(`profile_id = 'usr_erased'`);
  const task = await replay({ sourceIds: ['app'] });
  expect(task.progress).toMatchObject({ read: 68, stored: 3, skipped: 65 });
  expect(await eventIds(`profile_id = 'usr_erased'`)).toEqual(after.map((r) => r.eventId));
});

it("holds back what a source's current plan blocks, unless asked to restore it too", async () => {
  await deleteRows('1');
  // web's plan now declares Viewed only, and blocks the rest: its Bought events (every other one) would be rejected today.
  const plan = parsePlan('web.plan.json', JSON.stringify({ version: '2', allowUnplannedEvents: false, track: { Viewed: { properties: {}, additionalProperties: true } } }));
  webPlan = { file: 'web.plan.json', mode: 'block', plan };
  try {
    const held = await replay({ sourceIds: ['web'] });
    // Its 10 records of a suppressed person (above) stay held too.
    expect(held.progress).toMatchObject({ read: 70, stored: 30, skipped: 40 });
    expect(await eventIds('1')).toEqual(web.filter((_, i) => i % 2 === 1).map((r) => r.eventId));
    // In report mode the plan blocks nothing.
    webPlan = { ...webPlan, mode: 'report' };
    expect((await replay({ sourceIds: ['web'] })).progress).toMatchObject({ stored: 30 });
    await deleteRows('1');
    webPlan = { ...webPlan, mode: 'block' };
    const all = await replay({ sourceIds: ['web'], includeBlocked: true });
    expect(all.replay?.includeBlocked).toBe(true);
    expect(all.progress).toMatchObject({ read: 70, stored: 60 });
  } finally {
    webPlan = undefined;
  }
  // What the other cases left stored, stored again.
  await replay({});
});

it('refuses more running tasks than it runs, and ends a task nobody holds at once when cancelled', async () => {
  await tasks.stopStage();
  const waiting: string[] = [];
  for (let i = 0; i < MAX_RUNNING_TASKS; i++) waiting.push((await tasks.startReplay()).task!.id);
  await expect(tasks.startReplay()).rejects.toMatchObject({ reason: 'TOO_MANY_TASKS' });
  for (const id of waiting) expect((await tasks.api.cancel({ id })).task?.status).toBe(TaskStatus.CANCELLED);
  await tasks.startStage();
});

it('stops halfway when cancelled, keeping what it stored', async () => {
  const many = Array.from({ length: 3000 }, (_, i) => track(`m-${i}`, 'Viewed', 'usr_many'));
  await harness.publish(many, { sourceId: 'app' });
  await drained(harness);
  await deleteRows(`profile_id = 'usr_many'`);
  const { task } = await tasks.startReplay({ sourceIds: ['app'] });
  await waitFor('the replay under way', async () => (((await tasks.api.get({ id: task!.id })).task?.progress?.stored ?? 0) > 0 ? true : undefined), 60_000, 20);
  const asked = (await tasks.api.cancel({ id: task!.id })).task!;
  expect(asked.cancelRequested).toBe(true);
  const cancelled = await ended(task!.id);
  expect(cancelled.status).toBe(TaskStatus.CANCELLED);
  const stored = await rows(`profile_id = 'usr_many'`);
  expect(stored).toBeLessThan(3000);
  expect(stored).toBe(cancelled.progress!.stored);
  // Nothing more comes once it has ended: its consumer is gone.
  expect(await replayConsumers()).toEqual([]);
  expect((await tasks.api.cancel({ id: task!.id })).task!.status).toBe(TaskStatus.CANCELLED);
});

it('is finished by the next task stage when its stage stops halfway, without a duplicate row', async () => {
  await deleteRows(`profile_id = 'usr_many'`);
  const { task } = await tasks.startReplay({ sourceIds: ['app'] });
  await waitFor('the replay under way', async () => (((await tasks.api.get({ id: task!.id })).task?.progress?.stored ?? 0) > 0 ? true : undefined), 60_000, 20);
  await tasks.stopStage();
  const halfway = (await tasks.api.get({ id: task!.id })).task!;
  expect(halfway.status).toBe(TaskStatus.RUNNING);
  expect(await rows(`profile_id = 'usr_many'`)).toBeLessThan(3000);
  // The stopped stage let go of its lease: a new stage (another owner) claims it at once, and goes on from its consumer.
  expect(((await tasks.store.get(task!.id)) ?? { lease: 'missing' }).lease).toBeUndefined();
  await tasks.startStage();
  const done = await ended(task!.id);
  expect(done.status).toBe(TaskStatus.FINISHED);
  expect([await rows(`profile_id = 'usr_many'`), await finalRows(`profile_id = 'usr_many'`)]).toEqual([3000, 3000]);
  expect(await replayConsumers()).toEqual([]);
});

it('refuses an unknown task', async () => {
  await expect(tasks.api.get({ id: '00000000-0000-0000-0000-000000000000' })).rejects.toMatchObject({ reason: 'UNKNOWN_TASK' });
  await expect(tasks.api.cancel({ id: 'nope' })).rejects.toMatchObject({ reason: 'UNKNOWN_TASK' });
  await expect(tasks.api.get({ id: '' })).rejects.toMatchObject({ reason: 'INVALID_ADMIN_REQUEST' });
});
