/**
 * The task stage, in the sink process: it watches the tasks and runs each
 * running one it can claim, one at a time, those left by a process that
 * stopped or died included. A runner holds a lease on its task
 * (task-lease.ts), renews it on a timer and with every progress write, and
 * stops working as soon as it cannot renew it: two processes never run one
 * task at once. Tasks left with a lapsed lease are looked for on a timer too,
 * since a runner that died writes nothing the watch would see. A task that
 * fails after MAX_ATTEMPTS is FAILED with the reason.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { backoffMs, errorMessage, sleep } from '../lifecycle/backoff';
import { claim, end, heldByAnother, LEASE_MS, release, renew } from '../tasks/task-lease';
import type { TaskPhase, TaskProgress, TaskState, TaskStore } from '../tasks/task-store';

/** Attempts of a task before it is FAILED. */
const MAX_ATTEMPTS = 8;
/** Longest wait between attempts. */
const MAX_RETRY_MS = 30_000;

/** Thrown by a {@link TaskHold} whose task was taken over, ended or cancelled: the run stops where it is. */
export class TaskLost extends Error {}

/** A runner's hold on one task: its lease, its progress writes, its end. */
export class TaskHold {
  /** performance.now() until which the lease surely holds (from before the last write of it, less a third of the lease for the writes' own time). */
  private holdsUntil: number;
  private state: TaskState;
  private readonly cancels = new AbortController();

  /** A hold on `claimed`, whose claim was asked for at performance.now() `askedAt`. */
  constructor(
    private readonly store: TaskStore,
    private readonly owner: string,
    claimed: TaskState,
    askedAt: number,
  ) {
    this.state = claimed;
    this.holdsUntil = askedAt + (LEASE_MS * 2) / 3;
    if (claimed.cancelRequested) this.cancels.abort();
  }

  /** Aborts once the task was asked to stop (seen with a write of the lease). */
  get cancelSignal(): AbortSignal {
    return this.cancels.signal;
  }

  /** The task as last written. */
  get task(): TaskState {
    return this.state;
  }

  /** Whether the task was asked to stop. */
  get cancelled(): boolean {
    return this.state.cancelRequested;
  }

  /** Whether the lease surely still holds: false once the runner has not renewed it in time, when it may have lapsed. */
  holds(): boolean {
    return performance.now() <= this.holdsUntil;
  }

  /** Renews the lease, writing `progress` with it; throws {@link TaskLost} when this runner no longer holds the task. */
  async renew(progress?: TaskProgress): Promise<void> {
    const asked = performance.now();
    const written = await this.store.change(this.state.id, (state) => renew(state, this.owner, Date.now(), progress));
    if (written === undefined) throw new TaskLost(`task ${this.state.id} is no longer held by this process`);
    this.state = written;
    this.holdsUntil = asked + (LEASE_MS * 2) / 3;
    if (written.cancelRequested) this.cancels.abort();
  }

  /** Ends the task in `phase`; false when this runner no longer held it. */
  async end(phase: Exclude<TaskPhase, 'RUNNING'>, progress: TaskProgress, error?: string): Promise<boolean> {
    const written = await this.store.change(this.state.id, (state) => end(state, this.owner, Date.now(), phase, progress, error));
    if (written !== undefined) this.state = written;
    return written !== undefined;
  }
}

/** Runs one claimed task to its end (ending it through `hold`); when `signal` aborts, it stops where it is and throws the signal's reason. */
export type TaskRun = (hold: TaskHold, signal: AbortSignal) => Promise<void>;

/** A running task stage. */
export interface TaskStage {
  /** Stops: the task being run stops where it is, and is taken up again by the next process that claims it. */
  stop(): Promise<void>;
}

/** Starts the task stage over `store`, running each task it claims with `run`, and `cleanUp` (what ended tasks left behind) with each look for lapsed leases. */
export async function startTasks(store: TaskStore, run: TaskRun, logger: Logger, cleanUp: () => Promise<void> = async () => undefined): Promise<TaskStage> {
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const stopping = new AbortController();
  const queued = new Set<string>();
  let chain = Promise.resolve();

  /** Claims and runs task `id` once; throws when the run failed, saying in `progress` whether it got further first. */
  const attempt = async (id: string, progress: { made: boolean }): Promise<void> => {
    const askedAt = performance.now();
    const claimed = await store.change(id, (state) => claim(state, owner, Date.now()));
    if (claimed === undefined) return;
    const hold = new TaskHold(store, owner, claimed, askedAt);
    const renewing = new AbortController();
    const stopRun = () => renewing.abort();
    stopping.signal.addEventListener('abort', stopRun);
    // A renewal that fails stops the run with its error: a lost lease ends this attempt, another failure is tried again.
    const timer = setInterval(() => void hold.renew().catch((error: unknown) => renewing.abort(error)), LEASE_MS / 3);
    try {
      await run(hold, renewing.signal);
    } catch (error) {
      progress.made = hold.task.progress.lastSeq > claimed.progress.lastSeq;
      if (error instanceof TaskLost && !stopping.signal.aborted) return;
      if (!stopping.signal.aborted) throw error;
      // Stopping: the task is let go, so the next process claims it at once rather than when the lease lapses.
      await store.change(id, (state) => release(state, owner)).catch(() => undefined);
    } finally {
      clearInterval(timer);
      stopping.signal.removeEventListener('abort', stopRun);
    }
  };

  const runTask = async (id: string): Promise<void> => {
    for (let tries = 1; !stopping.signal.aborted; tries++) {
      const progress = { made: false };
      try {
        return await attempt(id, progress);
      } catch (error) {
        // Failures count towards FAILED only while they come one after another: a run that got further first starts the count again.
        if (progress.made) tries = 1;
        if (tries >= MAX_ATTEMPTS) {
          logger.error({ err: errorMessage(error), task: id, attempts: tries }, 'a task failed');
          await store.change(id, (state) => end(state, owner, Date.now(), 'FAILED', state.progress, errorMessage(error))).catch(() => undefined);
          return;
        }
        logger.warn({ err: errorMessage(error), task: id, attempt: tries }, 'a task step failed; trying again');
        await sleep(backoffMs(tries, MAX_RETRY_MS), stopping.signal).catch(() => undefined);
      }
    }
  };

  const enqueue = (state: TaskState): void => {
    if (state.phase !== 'RUNNING' || queued.has(state.id)) return;
    if (heldByAnother(state, owner, Date.now())) return;
    queued.add(state.id);
    chain = chain.then(() => runTask(state.id)).finally(() => queued.delete(state.id));
  };

  const watcher = await store.watch();
  void (async () => {
    for await (const entry of watcher) {
      try {
        if (entry.operation === 'PUT') enqueue(entry.json<TaskState>());
      } catch {
        logger.warn({ key: entry.key }, 'the tasks hold an entry this version cannot read; it is left alone');
      }
    }
    if (!stopping.signal.aborted) logger.error(`the task stage stopped watching the tasks: new ones are found only by its look every ${LEASE_MS / 1000} s`);
  })();
  // A runner that died wrote nothing more: its task's lapsed lease is found by looking, and what it left is cleaned up.
  const sweep = setInterval(() => {
    void store
      .list()
      .then((states) => states.forEach(enqueue))
      .then(cleanUp)
      .catch((error: unknown) => logger.warn({ err: errorMessage(error) }, 'could not look for lapsed leases and what ended tasks left'));
  }, LEASE_MS);
  logger.info({ owner }, 'task stage watching tasks');
  return {
    async stop() {
      stopping.abort();
      clearInterval(sweep);
      watcher.stop();
      await chain;
    },
  };
}
