/**
 * The tasks of AdminService, whatever the transport: StartReplay checks the
 * request, resolves the window's end against the stream, and records the
 * task for the sink process's task stage to run; RedriveDeadLetters checks
 * its request and records its task the same way; GetTask and ListTasks read
 * the store; CancelTask ends a task no process holds, or asks its holder to
 * stop.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { IngestError } from '../errors/ingest-error';
import {
  TaskStatus,
  TaskType,
  type CancelTaskRequest,
  type CancelTaskResponse,
  type GetTaskRequest,
  type GetTaskResponse,
  type ListTasksResponse,
  type RedriveDeadLettersRequest,
  type RedriveDeadLettersResponse,
  type StartReplayRequest,
  type StartReplayResponse,
  type Task,
} from '../gen/tributary/admin/v1/admin_service';
import { cancel } from '../tasks/task-lease';
import { NO_PROGRESS, type TaskState, type TaskStore } from '../tasks/task-store';
import { checkRedriveRequest } from './redrive-request';
import { checkReplayRequest } from './replay-request';

/** Most tasks running or waiting at once. */
export const MAX_RUNNING_TASKS = 10;

/** What the tasks API needs. */
export interface TasksDependencies {
  readonly store: TaskStore;
  /** The stream's last sequence now. */
  readonly lastSeq: () => Promise<number>;
  /** Whether a source id is one the installation knows (has a key). */
  readonly knownSource: (source: string) => boolean;
  readonly now: () => Date;
  /** Where a replay that restores what the tracking plans block is logged. */
  readonly logger: Logger;
}

/** The refusal of a redrive while the redrive `id` runs. */
const redriveRunning = (id: string): IngestError => new IngestError('REDRIVE_RUNNING', `the redrive ${id} is running; wait for it to end or cancel it (two at once could send one dead letter twice)`);

/** A task's state as the contract gives it. */
export function taskMessage(state: TaskState): Task {
  const { replay, redrive, progress } = state;
  const time = (iso: string | undefined) => (iso === undefined ? undefined : new Date(iso));
  return {
    id: state.id,
    type: TaskType[state.kind],
    status: TaskStatus[state.phase],
    replay: replay && {
      fromSequence: replay.fromSeq ?? 0,
      fromTime: time(replay.fromTime),
      toSequence: replay.toSeq ?? 0,
      toTime: time(replay.toTime),
      sourceIds: [...replay.sources],
      calls: [...replay.calls],
      names: [...replay.names],
      includeBlocked: replay.includeBlocked === true,
    },
    redrive: redrive && { reasons: [...redrive.reasons], sourceIds: [...redrive.sources], fromTime: time(redrive.fromTime), toTime: time(redrive.toTime), rate: redrive.rate },
    progress: {
      read: progress.read,
      stored: progress.stored,
      skipped: progress.skipped,
      lastSequence: progress.lastSeq,
      lastTime: progress.lastTime === '' ? undefined : time(progress.lastTime),
    },
    createdAt: new Date(state.createdAt),
    finishedAt: time(state.finishedAt),
    error: state.error ?? '',
    cancelRequested: state.cancelRequested,
  };
}

/** StartReplay, GetTask, ListTasks and CancelTask. */
export class TasksApi {
  constructor(private readonly deps: TasksDependencies) {}

  /** Records a replay task; the sink process's task stage runs it. */
  async startReplay(request: StartReplayRequest): Promise<StartReplayResponse> {
    const now = this.deps.now();
    const replay = checkReplayRequest(request, this.deps.knownSource, await this.deps.lastSeq(), now.getTime());
    const task = await this.start({ kind: 'REPLAY', replay }, now);
    if (replay.includeBlocked === true) this.deps.logger.warn({ task: task.id, replay }, 'a replay was asked to restore records the tracking plans block (include_blocked)');
    return { task };
  }

  /** Records a redrive task, unless one is running; the sink process's task stage runs it. */
  async startRedrive(request: RedriveDeadLettersRequest): Promise<RedriveDeadLettersResponse> {
    const redrive = checkRedriveRequest(request);
    return { task: await this.start({ kind: 'REDRIVE', redrive }, this.deps.now()) };
  }

  /** Stores a new running task of `what`, unless {@link MAX_RUNNING_TASKS} are running already, or it is a redrive and one is. */
  private async start(what: Pick<TaskState, 'kind' | 'replay' | 'redrive'>, now: Date): Promise<Task> {
    const states = (await this.deps.store.list()).filter((state) => state.phase === 'RUNNING');
    const redriving = states.find((state) => state.kind === 'REDRIVE');
    if (what.kind === 'REDRIVE' && redriving !== undefined) {
      throw redriveRunning(redriving.id);
    }
    // Tasks run one at a time: a queue longer than this is a mistake, not a plan.
    const running = states.length;
    if (running >= MAX_RUNNING_TASKS) {
      throw new IngestError('TOO_MANY_TASKS', `${running} tasks are running or waiting already (at most ${MAX_RUNNING_TASKS}); cancel one or wait for one to end`);
    }
    const state: TaskState = { id: randomUUID(), ...what, phase: 'RUNNING', progress: NO_PROGRESS, createdAt: now.toISOString(), cancelRequested: false };
    await this.deps.store.create(state);
    if (what.kind === 'REDRIVE') await this.aloneOrCancelled(state);
    return taskMessage(state);
  }

  /**
   * Two redrives asked for at once (two gateways) each find none running
   * before they store theirs: once stored, the one that is not the first
   * (by creation, then id) of the running redrives cancels itself and is
   * refused, so exactly one runs.
   */
  private async aloneOrCancelled(mine: TaskState): Promise<void> {
    const first = (await this.deps.store.list())
      .filter((state) => state.kind === 'REDRIVE' && state.phase === 'RUNNING')
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))[0];
    if (first === undefined || first.id === mine.id) return;
    await this.deps.store.change(mine.id, (state) => cancel(state, this.deps.now().getTime()));
    throw redriveRunning(first.id);
  }

  /** One task. */
  async get(request: GetTaskRequest): Promise<GetTaskResponse> {
    return { task: taskMessage(await this.find(request.id)) };
  }

  /** Every task, newest first. */
  async list(): Promise<ListTasksResponse> {
    return { tasks: (await this.deps.store.list()).map(taskMessage) };
  }

  /** Cancels a task: at once when no process holds it, at its holder's next batch otherwise. */
  async cancel(request: CancelTaskRequest): Promise<CancelTaskResponse> {
    const found = await this.find(request.id);
    const changed = await this.deps.store.change(found.id, (state) => cancel(state, this.deps.now().getTime()));
    return { task: taskMessage(changed ?? (await this.find(found.id))) };
  }

  /** The task `id`; NOT_FOUND when there is none. */
  private async find(id: string): Promise<TaskState> {
    if (id === '') throw new IngestError('INVALID_ADMIN_REQUEST', 'id is required', { violations: [{ field: 'id', description: 'REQUIRED: the task id' }] });
    const state = /^[0-9a-f-]{36}$/.test(id) ? await this.deps.store.get(id) : undefined;
    if (state === undefined) throw new IngestError('UNKNOWN_TASK', `no task has the id "${id}"`);
    return state;
  }
}
