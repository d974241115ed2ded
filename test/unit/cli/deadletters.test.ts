/**
 * `tributary deadletters`: the flags of `redrive` into a RedriveDeadLetters
 * request (times, durations ago, a rate, and a clear refusal of anything
 * else), the SELECT of `list` (its values quoted), and a redrive task's
 * lines.
 */
import { letterListSql, redriveRequest } from '../../../src/cli/deadletters';
import { describeTask, progressLine } from '../../../src/cli/replay';
import { TaskStatus, TaskType, type Task } from '../../../src/gen/tributary/admin/v1/admin_service';

const NOW = Date.parse('2026-12-05T12:00:00.000Z');

it('reads the window, the filters and the rate of a redrive', () => {
  expect(redriveRequest({ reason: ['IDENTITY_LINK_REFUSED'], source: ['app'], from: '2h', to: '2026-12-05T11:30:00Z', rate: '250' }, NOW)).toEqual({
    reasons: ['IDENTITY_LINK_REFUSED'],
    sourceIds: ['app'],
    fromTime: new Date(NOW - 7_200_000),
    toTime: new Date('2026-12-05T11:30:00Z'),
    rate: 250,
  });
  expect(redriveRequest({ reason: [], source: [] }, NOW)).toEqual({ reasons: [], sourceIds: [], fromTime: undefined, toTime: undefined, rate: 0 });
  expect(() => redriveRequest({ reason: [], source: [], from: '12' }, NOW)).not.toThrow();
  expect(() => redriveRequest({ reason: [], source: [], from: 'last week' }, NOW)).toThrow(/--from must be a time .*"last week"/);
  expect(() => redriveRequest({ reason: [], source: [], rate: 'fast' }, NOW)).toThrow(/--rate must be a whole number/);
  expect(() => redriveRequest({ reason: [], source: [], rate: '0' }, NOW)).toThrow(/--rate/);
});

it('lists the newest letters not redriven, its values quoted', () => {
  const sql = letterListSql('tributary', { reason: ['REJECTED_BY_CLICKHOUSE'], source: ["o'neil"], all: false, limit: 20 });
  expect(sql).toMatch(/FROM tributary\.dead_letters FINAL WHERE redriven_by = '' AND reason IN \('REJECTED_BY_CLICKHOUSE'\) AND source_id IN \('o\\'neil'\) ORDER BY stream_seq DESC LIMIT 20$/);
  expect(letterListSql('t', { reason: [], source: [], all: true, limit: 0 })).toMatch(/FROM t\.dead_letters FINAL ORDER BY stream_seq DESC LIMIT 1$/);
});

it('says what a redrive is and how far it has got, without a bar', () => {
  const task: Task = {
    id: 'b6b6b6b6-0000-0000-0000-000000000002',
    type: TaskType.REDRIVE,
    status: TaskStatus.FINISHED,
    replay: undefined,
    redrive: { reasons: ['IDENTITY_LINK_REFUSED'], sourceIds: ['app'], fromTime: new Date('2026-12-05T10:00:00Z'), toTime: undefined, rate: 500 },
    progress: { read: 4, stored: 3, skipped: 1, lastSequence: 88, lastTime: undefined },
    createdAt: new Date(NOW),
    finishedAt: new Date(NOW),
    error: '',
    cancelRequested: false,
  };
  expect(describeTask(task, false)).toBe(
    'b6b6b6b6-0000-0000-0000-000000000002  REDRIVE  FINISHED  reasons IDENTITY_LINK_REFUSED; sources app; set aside from 2026-12-05T10:00:00.000Z; 500/s  read 4, redriven 3, failed again or held 1',
  );
  expect(progressLine(task, 0)).toBe('read 4, redriven 3, failed again or held 1, last #88');
});
