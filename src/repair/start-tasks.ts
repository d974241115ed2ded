/**
 * Starts the task stage of a sink process: opens the tasks bucket (waiting
 * through the process's start waits), and runs the tasks it claims over the
 * sink's connection, path to the tables and the privacy stage's ledger.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Config } from '../config/settings';
import type { StartWaits } from '../lifecycle/start-waits';
import type { PolicyLedger } from '../policy/policy-ledger';
import type { Sink } from '../sink/sink';
import { consumerLoopOptions } from '../stages/consumer-loop';
import { sinkConsumerConfig } from '../stages/consumers';
import { permanentNatsFailure } from '../stream/set-up';
import { replayRun } from './replay-task';
import { startTasks, type TaskStage } from './task-stage';
import { TaskStore, tasksBucket } from '../tasks/task-store';

/** Starts the task stage beside `sink`, whose replays never restore a person `ledger` suppresses. */
export async function startTaskStage(config: Config, logger: Logger, sink: Sink, ledger: PolicyLedger, waits: StartWaits): Promise<TaskStage> {
  const bucket = tasksBucket(config.stream);
  const store = await waits.step('sink', `the tasks "${bucket}"`, () => TaskStore.open(sink.nats, bucket, config.replicas), permanentNatsFailure);
  const run = replayRun({
    jsm: await jetstreamManager(sink.nats.nc),
    js: jetstream(sink.nats.nc),
    stream: config.stream,
    subjectPrefix: config.subjectPrefix,
    consumerPrefix: config.sinkConsumer,
    liveConsumer: sinkConsumerConfig(config).durable_name,
    ackWaitMs: config.sinkAckWaitMs,
    loop: consumerLoopOptions(config),
    batches: (tokenScope) => sink.sinkBatches(tokenScope),
    ledger,
    logger,
  });
  return startTasks(store, run, logger);
}
