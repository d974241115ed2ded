/**
 * Starts the task stage of a sink process: opens the tasks bucket (waiting
 * through the process's start waits), and runs the tasks it claims over the
 * sink's connection, through the sink's and the identity stage's paths to
 * the tables, holding back what the privacy stage's ledger and regulations
 * say a task must not restore.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Config } from '../config/settings';
import { noSourceSettings, type SourceLookup } from '../config/source-settings';
import type { StartWaits } from '../lifecycle/start-waits';
import type { PolicyLedger } from '../policy/policy-ledger';
import type { RegulationStore } from '../policy/regulation-store';
import type { Sink } from '../sink/sink';
import { consumerLoopOptions } from '../stages/consumer-loop';
import { IDENTITY_CALLS, identityConsumerConfig, replayConsumerPrefix, sinkConsumerConfig } from '../stages/consumers';
import { permanentNatsFailure } from '../stream/set-up';
import { ReplayHolds } from './replay-holds';
import { removeEndedReplayConsumers, replayRun } from './replay-task';
import { startTasks, type TaskRun, type TaskStage } from './task-stage';
import { redriveRun } from './redrive-task';
import type { IdentityStage } from '../identity/identity-stage';
import { ClickHouseWriter } from '../storage/clickhouse-writer';
import { TaskStore, tasksBucket } from '../tasks/task-store';

/** Starts the task stage beside `sink` and `identity`; its tasks never restore a person `ledger` suppresses or an erasure among `regulations` covered, nor (unless a replay asks) a record its source's plan in `sources` blocks. */
export async function startTaskStage(
  config: Config,
  logger: Logger,
  sink: Sink,
  identity: IdentityStage,
  ledger: PolicyLedger,
  regulations: RegulationStore,
  waits: StartWaits,
  sources: SourceLookup = noSourceSettings,
): Promise<TaskStage> {
  const bucket = tasksBucket(config.stream);
  const store = await waits.step('sink', `the tasks "${bucket}"`, () => TaskStore.open(sink.nats, bucket, config.replicas), permanentNatsFailure);
  const jsm = await jetstreamManager(sink.nats.nc);
  const prefix = replayConsumerPrefix(config);
  const writer = new ClickHouseWriter(sink.clickhouse, config.clickhouseDatabase);
  const holds = (includeBlocked: boolean) => new ReplayHolds(ledger, sink.clickhouse, config.clickhouseDatabase, regulations, sources, includeBlocked);
  const replay = replayRun({
    jsm,
    js: jetstream(sink.nats.nc),
    stream: config.stream,
    subjectPrefix: config.subjectPrefix,
    consumerPrefix: prefix,
    liveConsumers: [sinkConsumerConfig(config).durable_name, ...IDENTITY_CALLS.map((call) => identityConsumerConfig(config, call).durable_name)],
    ackWaitMs: config.sinkAckWaitMs,
    loop: consumerLoopOptions(config),
    batches: (taskId, written) => sink.replayBatches(taskId, written),
    writer,
    identity: (taskId) => identity.taskBatches(taskId),
    holds,
    logger,
  });
  const redrive = redriveRun({
    client: sink.clickhouse,
    database: config.clickhouseDatabase,
    writer,
    sink: (taskId, failed) => sink.redriveBatches(taskId, failed),
    identity: (taskId, failed) => identity.taskBatches(taskId, failed),
    holds,
    logger,
  });
  const run: TaskRun = (hold, signal) => (hold.task.kind === 'REDRIVE' ? redrive(hold, signal) : replay(hold, signal));
  const running = async (taskId: string) => (await store.get(taskId))?.phase === 'RUNNING';
  return startTasks(store, run, logger, () => removeEndedReplayConsumers(jsm, config.stream, prefix, running));
}
