/**
 * The one start and stop of a consuming stage (the sink, the identity stage):
 * open the NATS connection or share the caller's, set up what the stage
 * needs (streams, then its durable consumers), run one loop per consumer with
 * the stage's batch handler, report its backlog; at stop, finish or hand back
 * the batches in hand and drain the connection if the stage opened it. A
 * stage is then a batch handler and a call to {@link startStage}.
 */
import { jetstream, type Consumer, type JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Config } from '../config/settings';
import type { StartWaits } from '../lifecycle/start-waits';
import type { Metrics } from '../observability/metrics';
import type { ClickHouseWriter } from '../storage/clickhouse-writer';
import type { NatsLink } from '../stream/connection';
import { deadLetterSubject } from '../stream/dead-letter-stream';
import { openNatsLink, setUpJetStream } from '../stream/set-up';
import { backlog, ConsumerLoop, consumerLoopOptions, type BatchHandler } from './consumer-loop';
import { ensureConsumer, type ConsumerDefinition } from './consumers';
import { DeadLetters } from './dead-letters';

/** What handles a stage's batches (SinkBatches, IdentityBatches). */
export interface StageBatches {
  readonly handle: BatchHandler;
}

/** What a stage is made of. */
export interface StageParts<B extends StageBatches> {
  /** Its name in logs, readiness, metrics and its NATS inboxes. */
  readonly stage: 'sink' | 'identity' | 'accounting';
  /** The stream its consumers read: the records' stream unless said. */
  readonly stream?: string;
  /** Its durable consumers on the stream, one loop each. */
  readonly consumers: readonly ConsumerDefinition[];
  /** What it sets up before its consumers (the sink: the streams). */
  readonly setUp?: (jsm: JetStreamManager) => Promise<void>;
  /** Where it writes, its dead letters included. */
  readonly writer: ClickHouseWriter;
  /** Its batch handler, made once JetStream is reachable, with the dead letters that record what it cannot handle. */
  readonly batches: (deadLetters: DeadLetters, jsm: JetStreamManager) => B;
  /** A connection the caller owns and keeps open (the sink's, for the identity stage beside it); without it the stage opens and drains its own. */
  readonly link?: NatsLink;
}

/** A running stage. */
export interface RunningStage<B extends StageBatches> {
  /** Its batch handler. */
  readonly batches: B;
  /** The dead letters its batch handler records what it cannot handle with (a task's path records its own through them: DeadLetters.forRedrive). */
  readonly deadLetters: DeadLetters;
  /** Its NATS connection (its own, or the caller's). */
  readonly link: NatsLink;
  readonly jsm: JetStreamManager;
  /** Its loops, one per consumer, in the order of the consumers. */
  readonly loops: readonly ConsumerLoop[];
  /** True, or why the first loop that is not ready is not. */
  ready(): true | string;
  /** Finishes or hands back (unacked) the batches in hand, then drains the connection if the stage opened it. */
  stop(): Promise<void>;
}

/** Starts `parts` as the configuration sets them, waiting (as `waits` bounds it) for NATS and what the stage sets up. */
export async function startStage<B extends StageBatches>(config: Config, logger: Logger, metrics: Metrics, waits: StartWaits, parts: StageParts<B>): Promise<RunningStage<B>> {
  const { stage, consumers } = parts;
  const stream = parts.stream ?? config.stream;
  const link = parts.link ?? (await openNatsLink(waits, stage, config, logger));
  const drainOwned = () => (parts.link === undefined ? link.drain() : Promise.resolve());
  try {
    const names = consumers.map((definition) => definition.durable_name);
    const what = `${parts.setUp === undefined ? '' : 'the streams and '}the consumer${names.length > 1 ? 's' : ''} ${names.map((name) => `"${name}"`).join(' and ')}`;
    const js = jetstream(link.nc);
    // The consumers are had within the same wait as their set-up: getting one is a request too, which a slow link can time out.
    const had: Consumer[] = [];
    const jsm = await setUpJetStream(waits, stage, what, link, async (manager) => {
      await parts.setUp?.(manager);
      for (const definition of consumers) await ensureConsumer(manager, stream, definition);
      had.length = 0;
      for (const name of names) had.push(await js.consumers.get(stream, name));
    });
    const deadLetters = new DeadLetters(js, parts.writer, (sourceId) => deadLetterSubject(config, sourceId));
    const batches = parts.batches(deadLetters, jsm);
    const handler: BatchHandler = (batch, retrying) => batches.handle(batch, retrying);
    const loops = names.map(
      (name, i) => new ConsumerLoop(names.length === 1 ? stage : `${stage} (${name})`, had[i], handler, consumerLoopOptions(config), logger, () => metrics.stalls.inc({ stage })),
    );
    metrics.watchPending(stage, () => backlog(jsm, stream, names));
    for (const loop of loops) loop.start();
    return {
      batches,
      deadLetters,
      link,
      jsm,
      loops,
      ready: () => loops.map((loop) => loop.ready()).find((ready) => ready !== true) ?? true,
      async stop() {
        await Promise.all(loops.map((loop) => loop.stop()));
        await drainOwned();
      },
    };
  } catch (error) {
    await drainOwned();
    throw error;
  }
}
