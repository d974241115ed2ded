/**
 * The lease rules of durable tasks: a claim takes a free or lapsed lease
 * only, renewals and ends belong to the holder alone, and a cancel ends a
 * task nobody holds at once or asks its holder to stop. A property test runs
 * random interleavings of two runners and cancels over one task and shows
 * that no two runners ever hold it at once, and that an ended task stays
 * ended.
 */
import fc from 'fast-check';
import { cancel, claim, end, LEASE_MS, renew } from '../../../src/tasks/task-lease';
import { NO_PROGRESS, type TaskState } from '../../../src/tasks/task-store';

const task: TaskState = {
  id: '00000000-0000-0000-0000-000000000001',
  kind: 'REPLAY',
  phase: 'RUNNING',
  replay: { fromSeq: 1, toSeq: 10, sources: [], calls: [], names: [] },
  progress: NO_PROGRESS,
  createdAt: '2026-12-05T10:00:00.000Z',
  cancelRequested: false,
};
const T = 1_000_000;

it('claims a free task, and a lapsed lease, but not one another runner holds', () => {
  const a = claim(task, 'a', T);
  expect(a?.lease).toEqual({ owner: 'a', until: T + LEASE_MS });
  expect(claim(a as TaskState, 'b', T + LEASE_MS - 1)).toBeUndefined();
  expect(claim(a as TaskState, 'b', T + LEASE_MS)?.lease).toEqual({ owner: 'b', until: T + 2 * LEASE_MS });
  // Its own lease, again (a process that restarts its run).
  expect(claim(a as TaskState, 'a', T + 1)?.lease?.owner).toBe('a');
});

it('lets only the holder renew and end, and writes the progress with the renewal', () => {
  const a = claim(task, 'a', T) as TaskState;
  const progress = { read: 5, stored: 3, skipped: 2, lastSeq: 5, lastTime: '2026-12-05T10:00:01.000Z' };
  expect(renew(a, 'b', T + 1, progress)).toBeUndefined();
  const renewed = renew(a, 'a', T + 1, progress) as TaskState;
  expect(renewed.progress).toEqual(progress);
  expect(renewed.lease?.until).toBe(T + 1 + LEASE_MS);
  expect(end(renewed, 'b', T + 2, 'FINISHED', progress)).toBeUndefined();
  const ended = end(renewed, 'a', T + 2, 'FINISHED', progress) as TaskState;
  expect(ended.phase).toBe('FINISHED');
  expect(ended.lease).toBeUndefined();
  expect(ended.finishedAt).toBe(new Date(T + 2).toISOString());
  expect(renew(ended, 'a', T + 3)).toBeUndefined();
  expect(claim(ended, 'a', T + 3)).toBeUndefined();
});

it('ends a task nobody holds at once when cancelled, and asks a holder to stop', () => {
  expect(cancel(task, T)?.phase).toBe('CANCELLED');
  const held = claim(task, 'a', T) as TaskState;
  const asked = cancel(held, T + 1) as TaskState;
  expect([asked.phase, asked.cancelRequested, asked.lease?.owner]).toEqual(['RUNNING', true, 'a']);
  expect(cancel(asked, T + 2)).toBeUndefined();
  // Its holder died: the lease lapsed, so the cancel ends it.
  expect(cancel(asked, T + LEASE_MS + 1)?.phase).toBe('CANCELLED');
  expect(cancel(end(held, 'a', T + 1, 'FINISHED', NO_PROGRESS) as TaskState, T + 2)).toBeUndefined();
});

it('never lets two runners hold one task at once, in any order of claims, renewals, ends and cancels', () => {
  const step = fc.record({ runner: fc.constantFrom('a', 'b', 'cancel'), op: fc.constantFrom('claim', 'renew', 'end'), advance: fc.integer({ min: 0, max: LEASE_MS }) });
  fc.assert(
    fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
      let state = task;
      let now = T;
      /** When each runner last wrote its lease, by the clock: it may work until that lease's end. */
      const holds: { [runner: string]: number } = {};
      for (const { runner, op, advance } of steps) {
        now += advance;
        const before = state;
        const next =
          runner === 'cancel' ? cancel(state, now) : op === 'claim' ? claim(state, runner, now) : op === 'renew' ? renew(state, runner, now) : end(state, runner, now, 'FINISHED', state.progress);
        if (next === undefined) continue;
        if (before.phase !== 'RUNNING') throw new Error('an ended task changed');
        state = next;
        if (runner !== 'cancel' && state.lease?.owner === runner) holds[runner] = state.lease.until;
        if (state.phase !== 'RUNNING') for (const r of Object.keys(holds)) delete holds[r];
        const holding = Object.entries(holds).filter(([, until]) => until > now && state.lease?.owner !== undefined);
        // Every runner whose lease has not ended by the clock is the one the store names.
        for (const [r] of holding) if (state.lease?.owner !== r) throw new Error(`${r} still holds a lease the store gave ${state.lease?.owner}`);
      }
    }),
  );
});
