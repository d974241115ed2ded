/**
 * The task stage and the tasks API over a SinkHarness, as the sink process
 * and the gateway run them: the privacy stage's ledger and regulations, the
 * tasks bucket, a stage that can be stopped and started again (as a new
 * owner), and a wait for a task's end.
 */
import pino from 'pino';
import { TasksApi } from '../../src/admin/tasks-api';
import { noSourceSettings, type SourceLookup } from '../../src/config/source-settings';
import { TaskStatus, type StartReplayRequest, type StartReplayResponse, type Task } from '../../src/gen/tributary/admin/v1/admin_service';
import type { IdentityStage } from '../../src/identity/identity-stage';
import { StartWaits } from '../../src/lifecycle/start-waits';
import { ledgerBucket, PolicyLedger } from '../../src/policy/policy-ledger';
import { RegulationStore, regulationsBucket } from '../../src/policy/regulation-store';
import { startTaskStage } from '../../src/repair/start-tasks';
import type { TaskStage } from '../../src/repair/task-stage';
import { TaskStore, tasksBucket } from '../../src/tasks/task-store';
import type { SinkHarness } from './sink-harness';
import { waitFor } from './wait';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** The task stage beside a harness's sink and identity stage, and the tasks API. */
export class TaskHarness {
  stage: TaskStage | undefined;

  private constructor(
    readonly harness: SinkHarness,
    readonly ledger: PolicyLedger,
    readonly regulations: RegulationStore,
    readonly store: TaskStore,
    readonly api: TasksApi,
    private readonly sources: SourceLookup,
  ) {}

  /** Opens the buckets over `harness` (whose sink and identity stage run) and starts the task stage, reading each source's settings (its tracking plan) from `sources`. */
  static async create(harness: SinkHarness, sources: SourceLookup = noSourceSettings): Promise<TaskHarness> {
    const { config } = harness;
    const ledger = await PolicyLedger.open(harness.link, ledgerBucket(config.stream), 1, logger);
    const regulations = await RegulationStore.open(harness.link, regulationsBucket(config.stream), 1);
    const store = await TaskStore.open(harness.link, tasksBucket(config.stream), 1);
    const api = new TasksApi({ store, lastSeq: async () => (await harness.jsm.streams.info(config.stream)).state.last_seq, knownSource: () => true, now: () => new Date(), logger });
    const tasks = new TaskHarness(harness, ledger, regulations, store, api, sources);
    await tasks.startStage();
    return tasks;
  }

  /** Starts a task stage (a new owner) beside the sink and `identity` (the harness's by default). */
  async startStage(identity: IdentityStage = this.harness.identity!): Promise<void> {
    this.stage = await startTaskStage(this.harness.config, logger, this.harness.sink!, identity, this.ledger, this.regulations, new StartWaits(logger, 30_000), this.sources);
  }

  /** Stops the task stage, if one runs. */
  async stopStage(): Promise<void> {
    await this.stage?.stop();
    this.stage = undefined;
  }

  /** Asks for a replay of the whole stream, as `over` narrows it. */
  startReplay(over: Partial<StartReplayRequest> = {}): Promise<StartReplayResponse> {
    return this.api.startReplay({ from: { $case: 'fromSequence', value: 1 }, to: undefined, sourceIds: [], calls: [], names: [], includeBlocked: false, ...over });
  }

  /** Waits until the task `id` ends; gives it. */
  ended(id: string): Promise<Task> {
    return waitFor(
      `task ${id} to end`,
      async () => {
        const { task } = await this.api.get({ id });
        return task?.status === TaskStatus.RUNNING ? undefined : task;
      },
      90_000,
    );
  }

  /** Stops the task stage and closes the ledger (the harness is the caller's to close). */
  async close(): Promise<void> {
    await this.stopStage();
    this.ledger.close();
  }
}
