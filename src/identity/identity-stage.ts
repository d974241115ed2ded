/**
 * Assembles and runs the identity stage: its durable consumers on the
 * identify and alias subjects, one loop each, resolving links into the
 * identity tables that the sink's migrations create. It runs beside the sink
 * (the embedded ClickHouse belongs to the sink's process) but on its own
 * consumers, so the events' acks never wait for the graph, and a failing
 * graph read stalls only this stage.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { jetstream } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Config } from '../config/settings';
import { noSourceSettings, type SourceLookup } from '../config/source-settings';
import type { Metrics } from '../observability/metrics';
import { ClickHouseWriter } from '../storage/clickhouse-writer';
import { StartWaits } from '../lifecycle/start-waits';
import type { NatsLink } from '../stream/connection';
import { openNatsLink, setUpJetStream } from '../stream/set-up';
import { backlog, ConsumerLoop, consumerLoopOptions } from '../stream/consumer-loop';
import { DeadLetters } from '../stream/dead-letters';
import { identityConsumerConfig, LINKING_CALLS } from '../stream/identity-consumers';
import { ensureConsumer } from '../stream/sink-consumer';
import { IdentityBatches } from './identity-batches';
import { IdentityResolver } from './identity-resolver';

/** A running identity stage. */
export interface IdentityStage {
  /** Whether it is ready: true, or why not (a batch failing for longer than the stall bound). */
  ready(): true | string;
  /** Finishes or abandons (unacked) the batches in hand, then closes its NATS connection. */
  stop(): Promise<void>;
}

/**
 * Starts the identity stage on `client`, whose database the sink has
 * migrated, waiting (as `waits` bounds it) for NATS and its consumers.
 * `nats` reuses a connection the caller owns (the sink's, beside it) and
 * keeps open; without it the stage opens, and at stop drains, its own.
 * `sources` gives each source's settings (trusted, identity secret), read
 * at every link decided, so a reloaded sources file takes effect at once;
 * by default no source is trusted and none verifies identities.
 */
export async function startIdentity(
  config: Config,
  logger: Logger,
  client: ClickHouseClient,
  metrics: Metrics,
  nats?: NatsLink,
  waits = new StartWaits(logger, config.startTimeoutMs),
  sources: SourceLookup = noSourceSettings,
): Promise<IdentityStage> {
  const link = nats ?? (await openNatsLink(waits, 'identity', config, logger));
  const drainOwned = () => (nats === undefined ? link.drain() : Promise.resolve());
  try {
    const definitions = LINKING_CALLS.map((call) => identityConsumerConfig(config, call));
    const jsm = await setUpJetStream(waits, 'identity', `the consumers ${definitions.map((d) => `"${d.durable_name}"`).join(' and ')}`, link, async (manager) => {
      for (const definition of definitions) await ensureConsumer(manager, config.stream, definition);
    });
    const js = jetstream(link.nc);
    const writer = new ClickHouseWriter(client, config.clickhouseDatabase);
    const batches = new IdentityBatches(new IdentityResolver(client, config.clickhouseDatabase, writer, { maxGroupSize: config.identityMaxGroup, sources }), new DeadLetters(js, writer, config), metrics);
    const loops: ConsumerLoop[] = [];
    for (const definition of definitions) {
      loops.push(
        new ConsumerLoop(
          `identity (${definition.durable_name})`,
          await js.consumers.get(config.stream, definition.durable_name),
          (batch, retrying) => batches.handle(batch, retrying),
          consumerLoopOptions(config),
          logger,
          () => metrics.stalls.inc({ stage: 'identity' }),
        ),
      );
    }
    metrics.watchPending('identity', () => backlog(jsm, config.stream, definitions.map((d) => d.durable_name)));
    for (const loop of loops) loop.start();
    logger.info({ consumers: definitions.map((d) => d.durable_name) }, 'identity stage consuming');
    return {
      ready: () => loops.map((loop) => loop.ready()).find((r) => r !== true) ?? true,
      async stop() {
        await Promise.all(loops.map((loop) => loop.stop()));
        await drainOwned();
        logger.info('identity stage stopped');
      },
    };
  } catch (error) {
    await drainOwned();
    throw error;
  }
}
