/**
 * The lease rules of durable tasks, as pure changes of a task's state that
 * the store writes by compare-and-set (task-store.ts): a runner claims a
 * running task whose lease is free or lapsed, renews its own lease with each
 * write, ends the task it holds, or lets it go when its process stops; a cancel either ends a task nobody
 * holds or asks its holder to stop. Times are epoch milliseconds.
 */
import type { TaskPhase, TaskProgress, TaskState } from './task-store';

/** How long a lease holds without renewal. A runner renews it three times as often, and stops working when it could not renew for this long. */
export const LEASE_MS = 15_000;

/** Whether some runner's lease holds the running task `state` at `now`. */
export const leased = (state: TaskState, now: number): boolean => state.phase === 'RUNNING' && state.lease !== undefined && state.lease.until > now;

/** Whether a lease other than `owner`'s holds `state` at `now`. */
export const heldByAnother = (state: TaskState, owner: string, now: number): boolean => leased(state, now) && state.lease?.owner !== owner;

/** `state` claimed by `owner` at `now`; undefined when it cannot be: it has ended, or another runner's lease holds it. */
export function claim(state: TaskState, owner: string, now: number): TaskState | undefined {
  if (state.phase !== 'RUNNING' || heldByAnother(state, owner, now)) return undefined;
  return { ...state, lease: { owner, until: now + LEASE_MS } };
}

/** `state` with `progress` (or as it is) and `owner`'s lease renewed at `now`; undefined when `owner` no longer holds it or it has ended. */
export function renew(state: TaskState, owner: string, now: number, progress = state.progress): TaskState | undefined {
  if (state.phase !== 'RUNNING' || state.lease?.owner !== owner) return undefined;
  return { ...state, progress, lease: { owner, until: now + LEASE_MS } };
}

/** `state` ended by its holder `owner` in `phase` at `now`, with `progress` and, for a failure, `error`; undefined when `owner` no longer holds it. */
export function end(state: TaskState, owner: string, now: number, phase: Exclude<TaskPhase, 'RUNNING'>, progress: TaskProgress, error?: string): TaskState | undefined {
  if (state.phase !== 'RUNNING' || state.lease?.owner !== owner) return undefined;
  return { ...state, phase, progress, finishedAt: new Date(now).toISOString(), lease: undefined, ...(error !== undefined && { error }) };
}

/** `state` let go by `owner` (a process that stops), for the next runner to claim at once; undefined when `owner` does not hold it. */
export function release(state: TaskState, owner: string): TaskState | undefined {
  if (state.phase !== 'RUNNING' || state.lease?.owner !== owner) return undefined;
  return { ...state, lease: undefined };
}

/** `state` with a cancel asked at `now`: ended at once when no runner holds it, marked for its runner otherwise; undefined when it has ended already. */
export function cancel(state: TaskState, now: number): TaskState | undefined {
  if (state.phase !== 'RUNNING') return undefined;
  if (state.lease === undefined || state.lease.until <= now) return { ...state, phase: 'CANCELLED', cancelRequested: true, finishedAt: new Date(now).toISOString(), lease: undefined };
  return state.cancelRequested ? undefined : { ...state, cancelRequested: true };
}
