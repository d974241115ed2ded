/**
 * Assembles and runs the identity stage: its durable consumers on the
 * identify, alias and consent subjects, one loop each, resolving links into
 * the identity tables that the sink's migrations create, and spreading
 * suppressions and consent decisions over identity groups. It runs beside the sink
 * (the embedded ClickHouse belongs to the sink's process) but on its own
 * consumers, so the events' acks never wait for the graph, and a failing
 * graph read stalls only this stage.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import type { Config } from '../config/settings';
import { noSourceSettings, type SourceLookup } from '../config/source-settings';
import type { Metrics } from '../observability/metrics';
import { ClickHouseWriter } from '../storage/clickhouse-writer';
import { StartWaits } from '../lifecycle/start-waits';
import type { NatsLink } from '../stream/connection';
import { identityConsumerConfig, IDENTITY_CALLS } from '../stages/consumers';
import { startStage } from '../stages/start-stage';
import { IdentityBatches, type Spreads } from './identity-batches';
import { IdentityResolver } from './identity-resolver';
import { selectOn } from './identity-graph';
import { SuppressionSpread } from './suppression-spread';
import { ConsentSpread } from './consent-spread';
import type { PolicyLedger } from '../policy/policy-ledger';
import type { DeadLetter } from '../stages/dead-letters';

/** A running identity stage. */
export interface IdentityStage {
  /** Whether it is ready: true, or why not (a batch failing for longer than the stall bound). */
  ready(): true | string;
  /** Finishes or abandons (unacked) the batches in hand, then closes its NATS connection. */
  stop(): Promise<void>;
  /**
   * The stage's path for the task `taskId` (src/repair/): links are
   * resolved as the stage's consumers resolve them, taking turns with them,
   * with insert tokens of the task's own. A replay's (no `failed`) keeps
   * every link's first decision, so it rebuilds only what is missing; a
   * redrive's decides a link refused before afresh, and sets one refused
   * again aside as a dead letter of the task, told to `failed`.
   */
  taskBatches(taskId: string, failed?: (letters: readonly DeadLetter[]) => void): IdentityBatches;
}

/**
 * Starts the identity stage on `client`, whose database the sink has
 * migrated, waiting (as `waits` bounds it) for NATS and its consumers.
 * `nats` reuses a connection the caller owns (the sink's, beside it) and
 * keeps open; without it the stage opens, and at stop drains, its own.
 * `sources` gives each source's settings (trusted, identity secret), read
 * at every link decided, so a reloaded sources file takes effect at once;
 * by default no source is trusted and none verifies identities. `ledger`,
 * when given, has suppressions and consent decisions spread over the groups
 * of new links and decisions.
 */
export async function startIdentity(
  config: Config,
  logger: Logger,
  client: ClickHouseClient,
  metrics: Metrics,
  nats?: NatsLink,
  waits = new StartWaits(logger, config.startTimeoutMs),
  sources: SourceLookup = noSourceSettings,
  ledger?: PolicyLedger,
): Promise<IdentityStage> {
  const consumers = IDENTITY_CALLS.map((call) => identityConsumerConfig(config, call));
  const writer = new ClickHouseWriter(client, config.clickhouseDatabase);
  const resolver = new IdentityResolver(client, config.clickhouseDatabase, writer, { maxGroupSize: config.identityMaxGroup, sources });
  /** The spreads of suppressions and consent over new links and decisions, writing through `into` (the stage's writer, or a task's). */
  const spreadsInto = (into: ClickHouseWriter): Spreads | undefined =>
    ledger === undefined
      ? undefined
      : {
          suppression: new SuppressionSpread(ledger, selectOn(client), config.clickhouseDatabase),
          consent: new ConsentSpread(ledger, selectOn(client), config.clickhouseDatabase, into),
        };
  const spreads = spreadsInto(writer);
  const stage = await startStage(config, logger, metrics, waits, {
    stage: 'identity',
    consumers,
    link: nats,
    writer,
    batches: (deadLetters) => new IdentityBatches(resolver, deadLetters, metrics, spreads),
  });
  logger.info({ consumers: consumers.map((d) => d.durable_name) }, 'identity stage consuming');
  return {
    ready: () => stage.ready(),
    async stop() {
      await stage.stop();
      logger.info('identity stage stopped');
    },
    taskBatches: (taskId, failed) => {
      // Everything a task writes carries tokens of its own, or ClickHouse would drop it as a duplicate of the live consumers' first inserts.
      const scope = `${failed === undefined ? 'replay' : 'redrive'}:${taskId}`;
      const scoped = writer.scoped(scope);
      const letters = failed === undefined ? stage.deadLetters : stage.deadLetters.forRedrive(taskId, scoped, failed);
      return new IdentityBatches(resolver.forTask(scope, failed !== undefined), letters, metrics, spreadsInto(scoped), true);
    },
  };
}
