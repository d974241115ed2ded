/**
 * Assembles and runs the sink: ClickHouse (version check, migrations), the
 * stream, the dead-letter stream and the durable consumer, then the loop
 * that stores its batches. Storage-agnostic up to the writer: the sink knows
 * rows, not SQL.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { natsServers } from '../config/load';
import type { Config } from '../config/settings';
import { Metrics } from '../observability/metrics';
import { checkVersion, createClickHouse } from '../storage/clickhouse-client';
import { ClickHouseWriter } from '../storage/clickhouse-writer';
import { migrate } from '../storage/migrate';
import { NatsLink } from '../stream/connection';
import { backlog, ConsumerLoop, consumerLoopOptions, type LoopHealth } from '../stream/consumer-loop';
import { deadLetterStreamConfig } from '../stream/dead-letter-stream';
import { DeadLetters } from '../stream/dead-letters';
import { ensureConsumer, sinkConsumerConfig } from '../stream/sink-consumer';
import { ensureStream, streamConfig } from '../stream/stream-definition';
import { SinkBatches, type SinkStats } from './sink-batches';

/** A running sink. */
export interface Sink {
  readonly stats: Readonly<SinkStats>;
  readonly health: Readonly<LoopHealth>;
  /** The ClickHouse client the sink writes with (the embedded engine belongs to this process). */
  readonly clickhouse: ClickHouseClient;
  /** Whether the sink is ready: true, or why not (a batch failing for longer than the stall bound). */
  ready(): true | string;
  /** Finishes or abandons (unacked) the batch in hand, then closes NATS and, if it opened it, ClickHouse. */
  stop(): Promise<void>;
}

/** Starts the sink; `clickhouse` reuses a client the caller owns (and keeps open). */
export async function startSink(config: Config, logger: Logger, clickhouse?: ClickHouseClient, metrics: Metrics = new Metrics()): Promise<Sink> {
  const client = clickhouse ?? createClickHouse(config);
  const closeOwned = () => (clickhouse === undefined ? client.close() : Promise.resolve());
  let link: NatsLink | undefined;
  try {
    const version = await checkVersion(client);
    const database = config.clickhouseDatabase;
    await migrate(client, { database, cluster: config.clickhouseCluster, replicated: config.clickhouseReplicated }, logger);
    link = await NatsLink.open(natsServers(config), logger);
    const jsm = await jetstreamManager(link.nc);
    await ensureStream(jsm, streamConfig(config));
    await ensureStream(jsm, deadLetterStreamConfig(config));
    await ensureConsumer(jsm, config.stream, sinkConsumerConfig(config));
    const js = jetstream(link.nc);
    const consumer = await js.consumers.get(config.stream, config.sinkConsumer);
    const writer = new ClickHouseWriter(client, database);
    const batches = new SinkBatches(writer, new DeadLetters(js, writer, config), { maxDeliveries: config.sinkMaxDeliveries, retryMaxMs: config.sinkRetryMaxMs }, logger, metrics);
    const loop = new ConsumerLoop(
      'sink',
      consumer,
      (batch, retrying) => batches.handle(batch, retrying),
      consumerLoopOptions(config),
      logger,
      () => metrics.stalls.inc({ stage: 'sink' }),
    );
    metrics.watchPending('sink', () => backlog(jsm, config.stream, [config.sinkConsumer]));
    loop.start();
    logger.info({ clickhouse: config.clickhouseUrl === '' ? 'embedded' : 'server', version, database, consumer: config.sinkConsumer }, 'sink consuming');
    const opened = link;
    return {
      stats: batches.stats,
      health: loop.health,
      clickhouse: client,
      ready: () => loop.ready(),
      async stop() {
        await loop.stop();
        await opened.drain();
        await closeOwned();
        logger.info('sink stopped');
      },
    };
  } catch (error) {
    await link?.drain();
    await closeOwned();
    throw error;
  }
}
