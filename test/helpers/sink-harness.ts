/**
 * A sink under test, with the identity stage beside it: a real nats-server,
 * the embedded ClickHouse of this process in a fresh database, a random
 * stream, and the gateway's own publishing pieces to put Envelopes on the
 * stream.
 */
import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { loadConfig } from '../../src/config/load';
import type { Config, SettingName } from '../../src/config/settings';
import { noSourceSettings, type SourceLookup } from '../../src/config/source-settings';
import { JetStreamPublisher } from '../../src/publish/jetstream-publisher';
import type { PublishAck } from '../../src/publish/publisher';
import { startIdentity, type IdentityStage } from '../../src/identity/identity-stage';
import { Metrics } from '../../src/observability/metrics';
import { startSink, type Sink } from '../../src/sink/sink';
import { identityConsumerConfig, IDENTITY_CALLS } from '../../src/stages/consumers';
import type { Record } from '../../src/gen/tributary/ingest/v1/record';
import { NatsLink } from '../../src/stream/connection';
import { processClickHouse, randomDatabase } from './clickhouse';
import { envelopeMessages, type EnvelopeOptions } from './envelopes';
import { NatsServer } from './nats-server';
import { waitFor } from './wait';

/** A sink and what a test needs around it. */
export class SinkHarness {
  sink: Sink | undefined;
  identity: IdentityStage | undefined;

  private constructor(
    readonly nats: NatsServer,
    readonly config: Config,
    readonly clickhouse: ClickHouseClient,
    readonly link: NatsLink,
    readonly jsm: JetStreamManager,
    private readonly publisher: JetStreamPublisher,
    private readonly sources: SourceLookup,
  ) {}

  /** Starts NATS; the sink and the identity stage (deciding links by `sources`) start at once unless `start` is false. */
  static async create(overrides: Partial<{ [K in SettingName]: string }> = {}, start = true, sources: SourceLookup = noSourceSettings): Promise<SinkHarness> {
    const nats = await NatsServer.start();
    const id = randomBytes(4).toString('hex');
    const { client } = processClickHouse();
    const config = loadConfig({}, { natsUrl: nats.url, stream: `S_${id}`, subjectPrefix: `s${id}`, clickhouseDatabase: randomDatabase(), logLevel: 'silent', ...overrides });
    const link = await NatsLink.open(nats.url, 'sink', pino({ level: 'silent' }));
    const harness = new SinkHarness(
      nats,
      config,
      client,
      link,
      await jetstreamManager(link.nc),
      new JetStreamPublisher(link, { maxInFlight: 100_000, maxInFlightBytes: 1 << 30, timeoutMs: 10_000 }),
      sources,
    );
    if (start) {
      await harness.startSink();
      await harness.startIdentity();
    }
    return harness;
  }

  /** Starts the sink in this process, on this process's ClickHouse. */
  async startSink(): Promise<Sink> {
    this.sink = await startSink(this.config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), this.clickhouse);
    return this.sink;
  }

  /** Starts the identity stage in this process, on this process's ClickHouse (after the sink has migrated it). */
  async startIdentity(): Promise<IdentityStage> {
    this.identity = await startIdentity(this.config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), this.clickhouse, new Metrics(), undefined, undefined, this.sources);
    return this.identity;
  }

  /** The durable names of the identity stage's consumers. */
  get identityConsumers(): string[] {
    return IDENTITY_CALLS.map((call) => identityConsumerConfig(this.config, call).durable_name);
  }

  /** The fully qualified name of a table of the test's database. */
  table(name: string): string {
    return `${this.config.clickhouseDatabase}.${name}`;
  }

  /** Publishes records as the gateway does (Envelope, subject, Nats-Msg-Id). */
  publish(records: readonly Record[], options: EnvelopeOptions = {}): Promise<PublishAck[]> {
    return this.publisher.publish(envelopeMessages(this.config.subjectPrefix, records, options));
  }

  /** A consumer's state (the sink's by default): messages not yet delivered, delivered but unacked, and the ack floor. */
  async consumerState(consumer = this.config.sinkConsumer): Promise<{ pending: number; ackPending: number; ackFloor: number }> {
    const info = await this.jsm.consumers.info(this.config.stream, consumer);
    return { pending: info.num_pending, ackPending: info.num_ack_pending, ackFloor: info.ack_floor.stream_seq };
  }

  /** Stops the identity stage, the sink, NATS and the connection (the shared ClickHouse stays open). */
  async close(): Promise<void> {
    await this.identity?.stop();
    await this.sink?.stop();
    this.publisher.close();
    await this.link.drain();
    await this.nats.stop();
  }
}

/** Waits until the sink (and the identity stage, when it runs) has acked everything on the stream. */
export async function drained(harness: SinkHarness): Promise<void> {
  const consumers = [harness.config.sinkConsumer, ...(harness.identity === undefined ? [] : harness.identityConsumers)];
  await waitFor('the sink and the identity stage to ack every message', async () => {
    for (const consumer of consumers) {
      const state = await harness.consumerState(consumer);
      if (state.pending !== 0 || state.ackPending !== 0) return undefined;
    }
    return true;
  });
}
