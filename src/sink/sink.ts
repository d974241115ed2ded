/**
 * Assembles and runs the sink: ClickHouse (version check, migrations), the
 * stream, the dead-letter and accounting streams and the durable consumers,
 * then the loops that store their batches, and the reclaimer that makes room in a full
 * stream. Storage-agnostic up to the writer: the sink knows
 * rows, not SQL.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import type { Config } from '../config/settings';
import { Metrics } from '../observability/metrics';
import { checkVersion, createClickHouse } from '../storage/clickhouse-client';
import { ClickHouseWriter } from '../storage/clickhouse-writer';
import { permanentSetUpFailure } from '../storage/error-class';
import { migrate } from '../storage/migrate';
import type { NatsLink } from '../stream/connection';
import { StartWaits } from '../lifecycle/start-waits';
import { withoutCredentials } from '../stream/set-up';
import type { LoopHealth } from '../stages/consumer-loop';
import { deadLetterStreamConfig } from '../stream/dead-letter-stream';
import { accountingConsumerConfig, sinkConsumerConfig } from '../stages/consumers';
import { accountingStreamConfig, accountingStreamName } from '../stream/accounting-stream';
import { AccountingBatches } from './accounting-batches';
import { startStage } from '../stages/start-stage';
import { ensureStream, streamConfig } from '../stream/stream-definition';
import { StreamReclaimer } from '../stream/stream-reclaim';
import { RedeliveryCheck } from './redelivery-check';
import { SinkBatches, type SinkRow, type SinkStats } from './sink-batches';
import type { DeadLetter, DeadLetters } from '../stages/dead-letters';

/** A running sink. */
export interface Sink {
  readonly stats: Readonly<SinkStats>;
  readonly health: Readonly<LoopHealth>;
  /** The ClickHouse client the sink writes with (the embedded engine belongs to this process). */
  readonly clickhouse: ClickHouseClient;
  /** The sink's NATS connection, which the identity stage beside it shares (one connection, one drain at stop). */
  readonly nats: NatsLink;
  /**
   * A path to the tables for the replay `taskId` (src/repair/replay-task.ts):
   * the sink consumer's path with counts of its own, a redelivery check that
   * looks up every row, and insert tokens scoped by the task; `written` is
   * told of the rows each batch restored.
   */
  replayBatches(taskId: string, written?: (rows: readonly SinkRow[]) => void): SinkBatches;
  /**
   * A path to the tables for the redrive `taskId` (src/repair/redrive-task.ts):
   * as a replay's, but a row ClickHouse refuses is set aside again at once,
   * as a dead letter of the task, and `failed` is told of it.
   */
  redriveBatches(taskId: string, failed: (letters: readonly DeadLetter[]) => void): SinkBatches;
  /** Whether the sink is ready: true, or why not (a batch failing for longer than the stall bound). */
  ready(): true | string;
  /** Finishes or abandons (unacked) the batch in hand, then closes NATS and, if it opened it, ClickHouse. */
  stop(): Promise<void>;
}

/**
 * Starts the sink, waiting (as `waits` bounds it) for ClickHouse, NATS, the
 * streams and the consumer; `clickhouse` reuses a client the caller owns
 * (and keeps open).
 */
export async function startSink(config: Config, logger: Logger, clickhouse?: ClickHouseClient, metrics: Metrics = new Metrics(), waits = new StartWaits(logger, config.startTimeoutMs)): Promise<Sink> {
  const client = clickhouse ?? createClickHouse(config);
  const closeOwned = () => (clickhouse === undefined ? client.close() : Promise.resolve());
  const clickhouseName = config.clickhouseUrl === '' ? 'the embedded ClickHouse' : `ClickHouse at ${withoutCredentials(config.clickhouseUrl)}`;
  try {
    const version = await waits.step('sink', clickhouseName, () => checkVersion(client), permanentSetUpFailure);
    const database = config.clickhouseDatabase;
    await waits.step(
      'sink',
      `the migrations of ${clickhouseName}`,
      () => migrate(client, { database, cluster: config.clickhouseCluster, replicated: config.clickhouseReplicated }, logger),
      permanentSetUpFailure,
    );
    const writer = new ClickHouseWriter(client, database);
    /** A path to the tables with a redelivery check of its own: the sink consumer's (no token scope), and each task's (its own token scope, and a check of every row). */
    const sinkBatches = (letters: DeadLetters, tokenScope = '', maxDeliveries = config.sinkMaxDeliveries, written?: (rows: readonly SinkRow[]) => void) =>
      new SinkBatches(
        tokenScope === '' ? writer : writer.scoped(tokenScope),
        new RedeliveryCheck(client, database, tokenScope !== ''),
        letters,
        { maxDeliveries, retryMaxMs: config.sinkRetryMaxMs, written },
        logger,
        metrics,
      );
    const stage = await startStage(config, logger, metrics, waits, {
      stage: 'sink',
      consumers: [sinkConsumerConfig(config)],
      async setUp(manager) {
        await ensureStream(manager, streamConfig(config));
        await ensureStream(manager, deadLetterStreamConfig(config));
        if (config.accounting) await ensureStream(manager, accountingStreamConfig(config));
      },
      writer,
      batches: (letters) => sinkBatches(letters),
    });
    // The gateways' counts and rejection samples, on the same connection (one sink deployment's consumer: the stream is a work queue).
    const accounting = !config.accounting
      ? undefined
      : await startStage(config, logger, metrics, waits, {
          stage: 'accounting',
          stream: accountingStreamName(config),
          consumers: [accountingConsumerConfig(config)],
          writer,
          link: stage.link,
          batches: (_deadLetters, jsm) => new AccountingBatches(writer, jsm, accountingStreamName(config), logger),
        }).catch(async (error: unknown) => {
          await stage.stop();
          throw error;
        });
    const reclaimer = new StreamReclaimer(stage.jsm, config.stream, config.maxStreamBytes, config.sinkConsumer, logger);
    reclaimer.start();
    logger.info({ clickhouse: config.clickhouseUrl === '' ? 'embedded' : 'server', version, database, consumer: config.sinkConsumer }, 'sink consuming');
    return {
      stats: stage.batches.stats,
      health: stage.loops[0].health,
      clickhouse: client,
      nats: stage.link,
      replayBatches: (taskId, written) => sinkBatches(stage.deadLetters, `replay:${taskId}`, config.sinkMaxDeliveries, written),
      redriveBatches: (taskId, failed) => sinkBatches(stage.deadLetters.forRedrive(taskId, writer.scoped(`redrive:${taskId}`), failed), `redrive:${taskId}`, 1),
      ready: () => [stage.ready(), accounting?.ready() ?? true].find((ready) => ready !== true) ?? true,
      async stop() {
        reclaimer.stop();
        await accounting?.stop();
        await stage.stop();
        await closeOwned();
        logger.info('sink stopped');
      },
    };
  } catch (error) {
    await closeOwned();
    throw error;
  }
}
