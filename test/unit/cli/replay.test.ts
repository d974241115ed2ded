/**
 * `tributary replay`'s flags into a StartReplay request (sequences, times,
 * durations ago, and a clear refusal of anything else), and the lines it
 * prints: a task's line and the progress bar.
 */
import { TaskStatus, TaskType, type Task } from '../../../src/gen/tributary/admin/v1/admin_service';
import { describeTask, progressLine, replayRequest } from '../../../src/cli/replay';

const NOW = Date.parse('2026-12-05T12:00:00.000Z');
const flags = { source: [], call: [], name: [] };

it('reads a bound as a sequence, a time or a duration ago', () => {
  expect(replayRequest({ ...flags, from: '120' }, NOW)).toMatchObject({ from: { $case: 'fromSequence', value: 120 }, to: undefined });
  expect(replayRequest({ ...flags, from: '2026-12-04T10:00:00Z', to: '2h' }, NOW)).toMatchObject({
    from: { $case: 'fromTime', value: new Date('2026-12-04T10:00:00Z') },
    to: { $case: 'toTime', value: new Date(NOW - 7_200_000) },
  });
  expect(replayRequest({ from: '7d', to: '900', source: ['web'], call: ['track'], name: ['Bought'], includeBlocked: true }, NOW)).toEqual({
    from: { $case: 'fromTime', value: new Date(NOW - 7 * 86_400_000) },
    to: { $case: 'toSequence', value: 900 },
    sourceIds: ['web'],
    calls: ['track'],
    names: ['Bought'],
    includeBlocked: true,
  });
  expect(() => replayRequest({ ...flags, from: 'yesterday' }, NOW)).toThrow(/--from must be a stream sequence.*"yesterday"/);
  expect(() => replayRequest({ ...flags, from: '1', to: '2 weeks-ish' }, NOW)).toThrow(/--to must be/);
});

const task = (over: Partial<Task>): Task => ({
  id: 'a5a5a5a5-0000-0000-0000-000000000001',
  type: TaskType.REPLAY,
  status: TaskStatus.RUNNING,
  replay: { fromSequence: 101, fromTime: undefined, toSequence: 200, toTime: undefined, sourceIds: ['web'], calls: [], names: ['Bought'], includeBlocked: false },
  progress: { read: 50, stored: 7, skipped: 43, lastSequence: 150, lastTime: new Date('2026-12-05T11:00:00.000Z') },
  createdAt: new Date(NOW),
  finishedAt: undefined,
  error: '',
  cancelRequested: false,
  ...over,
});

it('draws how far the last sequence has got through the window', () => {
  expect(progressLine(task({}), 0)).toBe('[###############...............] 50%  read 50, stored 7, skipped 43, last #150 (2026-12-05T11:00:00.000Z)');
  const byTime = task({ replay: { ...task({}).replay!, fromSequence: 0, fromTime: new Date(NOW - 3600_000) } });
  // A window that starts at a time counts from the first sequence the command saw.
  expect(progressLine(byTime, 151)).toMatch(/^\[\.{30}\] 0% /);
  expect(progressLine(task({ progress: { read: 0, stored: 0, skipped: 0, lastSequence: 0, lastTime: undefined } }), 0)).toBe(
    '[..............................] 0%  read 0, stored 0, skipped 0, last #0',
  );
  expect(progressLine(task({ progress: { ...task({}).progress!, lastSequence: 200 } }), 0)).toMatch(/^\[#{30}\] 100% /);
});

it('says what a task is in one line, or as JSON', () => {
  expect(describeTask(task({}), false)).toBe('a5a5a5a5-0000-0000-0000-000000000001  REPLAY  RUNNING  #101 to #200  sources web; names Bought  read 50, stored 7, skipped 43');
  expect(describeTask(task({ status: TaskStatus.FAILED, error: 'boom' }), false)).toMatch(/FAILED .* error: boom$/);
  expect(JSON.parse(describeTask(task({}), true))).toMatchObject({ id: 'a5a5a5a5-0000-0000-0000-000000000001', type: 'TASK_TYPE_REPLAY', status: 'TASK_STATUS_RUNNING' });
});
