/**
 * Where durable tasks (replays and redrives) live: a JetStream key-value bucket, one key
 * per task id, its value the task's state as JSON. The admin API creates
 * tasks and records cancels; the task stage in the sink process claims a
 * running task, runs it and writes its progress. Every write is a
 * compare-and-set on the entry's revision ({@link TaskStore.change}), which
 * is what keeps two processes from running one task at once: a runner holds
 * a lease it wrote, renews it while it works, and another process takes the
 * task only once that lease has lapsed; a runner whose lease was taken, or
 * whose task was cancelled, learns so at its next write.
 */
import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv';
import { StorageType } from '@nats-io/jetstream';
import type { QueuedIterator } from '@nats-io/nats-core';
import { changeState, stateOf, statesNewestFirst } from '../policy/kv-states';
import type { NatsLink } from '../stream/connection';

/** What a task does. */
export type TaskKind = 'REPLAY' | 'REDRIVE';
/** How far it has got. */
export type TaskPhase = 'RUNNING' | 'FINISHED' | 'CANCELLED' | 'FAILED';

/** A replay's window, as resolved when it was asked for: a start and an end each by sequence or by time (ISO text), and its filters. */
export interface ReplaySpec {
  readonly fromSeq?: number;
  readonly fromTime?: string;
  readonly toSeq?: number;
  readonly toTime?: string;
  /** Only these sources; empty is every one. */
  readonly sources: readonly string[];
  /** Only these calls (track, identify, alias, group, consent, page, product); empty is every one. */
  readonly calls: readonly string[];
  /** Only track events of these names; empty is every name. */
  readonly names: readonly string[];
  /** Whether records their source's current tracking plan would block are replayed too (held back otherwise). */
  readonly includeBlocked?: boolean;
}

/** Which dead letters a redrive sends, and how fast: each filter empty or unset is every one. */
export interface RedriveSpec {
  readonly reasons: readonly string[];
  readonly sources: readonly string[];
  /** The earliest and latest time a dead letter was set aside (ISO text). */
  readonly fromTime?: string;
  readonly toTime?: string;
  /** Most dead letters sent through a second. */
  readonly rate: number;
}

/** What a task has done so far. */
export interface TaskProgress {
  readonly read: number;
  readonly stored: number;
  readonly skipped: number;
  /** The last stream sequence done, 0 before the first. */
  readonly lastSeq: number;
  /** When that message reached the stream (ISO text), '' before the first. */
  readonly lastTime: string;
  /** A replay's: the stream sequence up to which every message its consumer gave is done (the consumer's ack floor, as last seen), where a consumer that went missing starts again. */
  readonly resumeSeq?: number;
}

/** Who runs a task, and until when (epoch milliseconds) unless it renews. */
export interface TaskLease {
  readonly owner: string;
  readonly until: number;
}

/** A task's state. */
export interface TaskState {
  readonly id: string;
  readonly kind: TaskKind;
  readonly phase: TaskPhase;
  /** A replay's window (kind REPLAY). */
  readonly replay?: ReplaySpec;
  /** A redrive's selection (kind REDRIVE). */
  readonly redrive?: RedriveSpec;
  readonly progress: TaskProgress;
  readonly createdAt: string;
  readonly finishedAt?: string;
  readonly error?: string;
  readonly cancelRequested: boolean;
  readonly lease?: TaskLease;
}

/** Progress before anything is done. */
export const NO_PROGRESS: TaskProgress = { read: 0, stored: 0, skipped: 0, lastSeq: 0, lastTime: '' };

/** How long a task is kept after its last write: a running task writes every few seconds, and an ended one is gone after this. */
export const TASK_TTL_MS = 30 * 86_400_000;

/** The bucket of the tasks of a stream's installation. */
export const tasksBucket = (stream: string): string => `${stream}_TASKS`;

/** The tasks bucket. */
export class TaskStore {
  private constructor(private readonly kv: KV) {}

  /** Opens the bucket `bucket` with `replicas`, creating it when missing. */
  static async open(link: NatsLink, bucket: string, replicas: number): Promise<TaskStore> {
    return new TaskStore(await new Kvm(link.nc).create(bucket, { history: 1, replicas, storage: StorageType.File, ttl: TASK_TTL_MS }));
  }

  /** Stores a new task. */
  async create(state: TaskState): Promise<void> {
    await this.kv.create(state.id, JSON.stringify(state));
  }

  /** The task `id`, or undefined. */
  get(id: string): Promise<TaskState | undefined> {
    return stateOf<TaskState>(this.kv, id);
  }

  /** Every task, newest first. */
  list(): Promise<TaskState[]> {
    return statesNewestFirst<TaskState>(this.kv);
  }

  /**
   * Writes what `change` makes of the stored task, if the task is still
   * there as it was read (compare-and-set; read again and retried when
   * another writer came first). `change` returns undefined to write nothing.
   * Returns the state written, or undefined when nothing was (no such task,
   * or `change` declined).
   */
  change(id: string, change: (state: TaskState) => TaskState | undefined): Promise<TaskState | undefined> {
    return changeState(this.kv, id, change, `the task ${id}`);
  }

  /** Watches every task: those stored now, then each change. */
  watch(): Promise<QueuedIterator<KvWatchEntry>> {
    return this.kv.watch();
  }
}
