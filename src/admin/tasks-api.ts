/**
 * The tasks of AdminService, whatever the transport: StartReplay checks the
 * request, resolves the window's end against the stream, and records the
 * task for the sink process's task stage to run; GetTask and ListTasks read
 * the store; CancelTask ends a task no process holds, or asks its holder to
 * stop.
 */
import { randomUUID } from 'node:crypto';
import { IngestError } from '../errors/ingest-error';
import {
  TaskStatus,
  TaskType,
  type CancelTaskRequest,
  type CancelTaskResponse,
  type GetTaskRequest,
  type GetTaskResponse,
  type ListTasksResponse,
  type StartReplayRequest,
  type StartReplayResponse,
  type Task,
} from '../gen/tributary/admin/v1/admin_service';
import { cancel } from '../tasks/task-lease';
import { NO_PROGRESS, type TaskState, type TaskStore } from '../tasks/task-store';
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
}

/** A task's state as the contract gives it. */
export function taskMessage(state: TaskState): Task {
  const { replay, progress } = state;
  return {
    id: state.id,
    type: TaskType[state.kind],
    status: TaskStatus[state.phase],
    replay: {
      fromSequence: replay.fromSeq ?? 0,
      fromTime: replay.fromTime === undefined ? undefined : new Date(replay.fromTime),
      toSequence: replay.toSeq ?? 0,
      toTime: replay.toTime === undefined ? undefined : new Date(replay.toTime),
      sourceIds: [...replay.sources],
      calls: [...replay.calls],
      names: [...replay.names],
    },
    progress: {
      read: progress.read,
      stored: progress.stored,
      skipped: progress.skipped,
      lastSequence: progress.lastSeq,
      lastTime: progress.lastTime === '' ? undefined : new Date(progress.lastTime),
    },
    createdAt: new Date(state.createdAt),
    finishedAt: state.finishedAt === undefined ? undefined : new Date(state.finishedAt),
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
    // Tasks run one at a time: a queue longer than this is a mistake, not a plan.
    const running = (await this.deps.store.list()).filter((state) => state.phase === 'RUNNING').length;
    if (running >= MAX_RUNNING_TASKS) {
      throw new IngestError('TOO_MANY_TASKS', `${running} tasks are running or waiting already (at most ${MAX_RUNNING_TASKS}); cancel one or wait for one to end`);
    }
    const state: TaskState = { id: randomUUID(), kind: 'REPLAY', phase: 'RUNNING', replay, progress: NO_PROGRESS, createdAt: now.toISOString(), cancelRequested: false };
    await this.deps.store.create(state);
    return { task: taskMessage(state) };
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
