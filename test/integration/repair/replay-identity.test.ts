/**
 * A replay through the identity stage's path, against a real nats-server and
 * the real ClickHouse engine: over links that are stored it writes no row
 * (raw counts), and after the identity tables were emptied it rebuilds the
 * links and the masters from the stream.
 */
import type { Task } from '../../../src/gen/tributary/admin/v1/admin_service';
import { count } from '../../helpers/clickhouse';
import { deliverEach, identify, ids, mastersOf, track } from '../../helpers/identity-records';
import { SinkHarness } from '../../helpers/sink-harness';
import { TaskHarness } from '../../helpers/task-harness';

jest.setTimeout(180_000);
let harness: SinkHarness;
let tasks: TaskHarness;

beforeAll(async () => {
  harness = await SinkHarness.create();
  tasks = await TaskHarness.create(harness);
});
afterAll(async () => {
  await tasks?.close();
  await harness?.close();
});

const replayAll = async (): Promise<Task> => {
  const { task } = await tasks.startReplay();
  return tasks.ended(task!.id);
};
const IDENTITY_TABLES = ['identity_links', 'identity_edges', 'profile_masters'];
const rawRows = async () => Promise.all(IDENTITY_TABLES.map((table) => count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table(table)}`)));

it('writes no identity row over stored links, and rebuilds links and masters once they are gone', async () => {
  const id = ids();
  const [phone, laptop, ada] = [id('phone'), id('laptop'), id('ada')];
  await deliverEach(harness, undefined, [track(id('t1'), laptop, 1), identify(id('i1'), phone, ada, 2)], [identify(id('i2'), laptop, ada, 3)]);
  const stitched = [
    { profile_id: laptop, master_id: phone },
    { profile_id: phone, master_id: phone },
  ];
  expect(await mastersOf(harness, [phone, laptop])).toEqual(stitched);
  const stored = await rawRows();
  expect(stored.every((n) => n > 0)).toBe(true);

  expect((await replayAll()).progress).toMatchObject({ read: 3, stored: 0 });
  expect(await rawRows()).toEqual(stored);

  for (const table of IDENTITY_TABLES) await harness.clickhouse.command({ query: `TRUNCATE TABLE ${harness.table(table)}` });
  expect(await mastersOf(harness, [phone, laptop])).toEqual([]);
  expect((await replayAll()).progress).toMatchObject({ read: 3, stored: 0 });
  expect(await mastersOf(harness, [phone, laptop])).toEqual(stitched);
  expect(await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('identity_links')} FINAL WHERE effect = 'linked'`)).toBe(2);
});
