/**
 * A gateway under test: a real nats-server, the gateway on a free port with a
 * random stream and subject prefix, a grpc-js client of the generated
 * contract, and a NATS connection to look inside the stream.
 */
import { randomBytes } from 'node:crypto';
import { credentials, Metadata, type CallOptions, type ServiceError } from '@grpc/grpc-js';
import { jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { loadConfig } from '../../src/config/load';
import type { Config, SettingName } from '../../src/config/settings';
import { startGateway, type Gateway } from '../../src/gateway/gateway';
import { IngestResponse, IngestServiceClient, type IngestRequest } from '../../src/gen/tributary/ingest/v1/ingest_service';
import { NatsServer } from './nats-server';

/** The API keys the harness configures, and the sources they name. */
export const KEYS = { sourceA: 'test-key-for-source-a-0001', sourceB: 'test-key-for-source-b-0002' } as const;

/** Metadata carrying `key` as a bearer token (none when null). */
export function authorized(key: string | null): Metadata {
  const metadata = new Metadata();
  if (key !== null) metadata.set('authorization', `Bearer ${key}`);
  return metadata;
}

/** A running gateway and what a test needs around it. */
export class GatewayHarness {
  private constructor(
    readonly nats: NatsServer,
    readonly config: Config,
    readonly gateway: Gateway,
    readonly client: InstanceType<typeof IngestServiceClient>,
    readonly inspector: NatsConnection,
    readonly jsm: JetStreamManager,
  ) {}

  /** Starts NATS and a gateway; `overrides` set configuration by setting name. */
  static async start(overrides: Partial<Record<SettingName, string>> = {}): Promise<GatewayHarness> {
    const nats = await NatsServer.start();
    const id = randomBytes(4).toString('hex');
    const config = loadConfig(
      {},
      {
        grpcAddr: '127.0.0.1:0',
        natsUrl: nats.url,
        stream: `T_${id}`,
        subjectPrefix: `t${id}`,
        apiKeys: `${KEYS.sourceA}=source_a,${KEYS.sourceB}=source_b`,
        logLevel: 'silent',
        ...overrides,
      },
    );
    const gateway = await startGateway(config, pino({ level: 'silent' }));
    const client = new IngestServiceClient(`127.0.0.1:${gateway.port}`, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
    const inspector = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    return new GatewayHarness(nats, config, gateway, client, inspector, await jetstreamManager(inspector));
  }

  /** Calls Ingest with `key`; resolves with the response or rejects with the ServiceError. */
  ingest(request: Partial<IngestRequest>, key: string | null = KEYS.sourceA, options: CallOptions = {}): Promise<IngestResponse> {
    const full: IngestRequest = { records: [], ...request };
    return new Promise((resolve, reject) => {
      this.client.ingest(full, authorized(key), options, (error: ServiceError | null, response: IngestResponse) => (error === null ? resolve(response) : reject(error)));
    });
  }

  /** Calls Ingest with a request already encoded (records that need not decode), as a client of another language may send it. */
  ingestBytes(request: Uint8Array, key: string | null = KEYS.sourceA): Promise<IngestResponse> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        '/tributary.ingest.v1.IngestService/Ingest',
        (bytes: Uint8Array) => Buffer.from(bytes),
        (buffer: Buffer) => IngestResponse.decode(buffer),
        request,
        authorized(key),
        {},
        (error: ServiceError | null, response?: IngestResponse) => (error === null && response !== undefined ? resolve(response) : reject(error)),
      );
    });
  }

  /** How many messages the stream holds. */
  async messageCount(): Promise<number> {
    return (await this.jsm.streams.info(this.config.stream)).state.messages;
  }

  /** The stored message at `seq`. */
  async message(seq: number): Promise<StoredMsg> {
    const message = await this.jsm.streams.getMessage(this.config.stream, { seq });
    if (message === null) throw new Error(`no message at sequence ${seq}`);
    return message;
  }

  /** Stops everything the harness started. */
  async close(): Promise<void> {
    this.client.close();
    await this.inspector.close();
    await this.gateway.stop();
    await this.nats.stop();
  }
}
