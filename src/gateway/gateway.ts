/**
 * Assembles and runs the gateway: NATS connection, stream set-up, publisher,
 * ingest(), the gRPC server with health and reflection, and a graceful stop
 * (stop taking calls, finish those in flight, drain NATS).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { openApiKeysFile } from '../config/api-keys-file';
import { validationLimits } from '../config/load';
import type { Config } from '../config/settings';
import { Metrics } from '../observability/metrics';
import { JetStreamPublisher } from '../publish/jetstream-publisher';
import { StreamRoom } from '../publish/stream-room';
import { errorMessage } from '../lifecycle/backoff';
import { StartCancelled, StartWaits } from '../lifecycle/start-waits';
import { openNatsLink, permanentNatsFailure, setUpJetStream } from '../stream/set-up';
import type { NatsLink } from '../stream/connection';
import { ensureStream, streamConfig } from '../stream/stream-definition';
import { grpcServerCredentials, serverTlsOf } from '../tls/server-tls';
import type { ApiKeyEntry } from '../config/parsers';
import { noSourceSettings, type SourceLookup } from '../config/source-settings';
import { ApiKeyRing } from './auth';
import { SourceRateLimits } from './rate-limits';
import { AuthGate } from './auth-gate';
import { MAX_TRACKED_ADDRESSES } from './auth-throttle';
import { authInterceptor } from './grpc-auth';
import { ingestHandlers, ingestServiceDefinition } from './grpc-service';
import { GatewayHealth } from './health';
import { createIngest } from './ingest';
import { SampleSlots } from './request-tally';
import { TailHub } from './tail-hub';
import { AccountingPublisher } from '../publish/accounting-publisher';
import { accountingStreamConfig, accountingSubject } from '../stream/accounting-stream';
import { addReflection } from './reflection';
import { CorsPolicy } from './cors';
import { HttpDoors } from './doors/http-doors';
import { adminHandlers, adminServiceDefinition } from '../admin/admin-grpc';
import { RegulationsApi } from '../admin/regulations-api';
import { TasksApi } from '../admin/tasks-api';
import type { AdminApis } from '../admin/admin-methods';
import { TaskStore, tasksBucket } from '../tasks/task-store';
import { openPolicy } from '../policy/open-policy';

/** Accounting messages waiting for their PubAck at once: with group commit, one per request only when NATS stalls. */
const ACCOUNTING_IN_FLIGHT = 100_000;

/** grpc-js's own cap on a request, as a multiple of TRIBUTARY_MAX_REQUEST_BYTES: below it the gateway answers with details. */
const RECEIVE_CAP_FACTOR = 4;

/** A running gateway. */
export interface Gateway {
  /** The port the gRPC server listens on. */
  readonly port: number;
  /** Where the in-process gRPC-Web bridge reaches the server when it is not the port itself: a private socket, with TLS. */
  readonly bridgeTarget: string | undefined;
  /** Records published and waiting for their PubAck. */
  readonly inFlight: number;
  /** Whether the gateway can reach the stream now. */
  readonly ready: boolean;
  /** The HTTP doors (Connect, Intempt, Segment), for the process's HTTP endpoint to serve. */
  readonly httpDoors: HttpDoors;
  /** The live tail of its answers, for the process's HTTP endpoint to serve. */
  readonly tail: TailHub;
  /** Stops taking calls, finishes those in flight (up to the shutdown timeout) and drains NATS. */
  stop(): Promise<void>;
}

function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => (error === null ? resolve(port) : reject(error)));
  });
}

function shutdown(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Starts the gateway, waiting (as `waits` bounds it) for NATS and the
 * stream; fails when they cannot be had in time. `sources` gives each
 * source's rate limit, read at each call (a reloaded sources file counts).
 */
export async function startGateway(
  config: Config,
  logger: Logger,
  metrics: Metrics = new Metrics(),
  waits = new StartWaits(logger, config.startTimeoutMs),
  sources: SourceLookup = noSourceSettings,
): Promise<Gateway> {
  // The keys file is watched: the ring reads the keys in force at each call.
  const keysFile = config.apiKeysFile === '' ? undefined : openApiKeysFile(config.apiKeysFile, logger);
  // The keys in force: the environment's and the file's, joined again only when the file's value changes (not at every call).
  let fileKeys: readonly ApiKeyEntry[] = [];
  let inForce = config.apiKeys;
  const keys = new ApiKeyRing(() => {
    if (keysFile !== undefined && keysFile.value !== fileKeys) {
      fileKeys = keysFile.value;
      inForce = [...config.apiKeys, ...fileKeys];
    }
    return inForce;
  });
  if (keys.size === 0) logger.warn('no API key is configured: every call will be answered UNAUTHENTICATED');

  const link = await openNatsLink(waits, 'gateway', config, logger).catch((error: unknown) => {
    keysFile?.close();
    throw error;
  });
  const stopping = new AbortController();
  let accountingLink: NatsLink | undefined;
  try {
    const definition = streamConfig(config);
    // The records' stream, and the accounting stream its counts go to.
    const definitions = [definition, ...(config.accounting ? [accountingStreamConfig(config)] : [])];
    const streams = definitions.map(({ name }) => `"${name}"`).join(' and ');
    const setUpStreams = (stepWaits: StartWaits, what: string) =>
      setUpJetStream(stepWaits, 'gateway', what, link, async (jsm) => {
        for (const stream of definitions) await ensureStream(jsm, stream);
      });
    const jsm = await setUpStreams(waits, `the stream${definitions.length > 1 ? 's' : ''} ${streams}`);
    const room = new StreamRoom(
      config.maxStreamBytes,
      async () => (await jsm.streams.info(definition.name)).state.bytes,
      (error) => logger.warn({ err: errorMessage(error), stream: definition.name }, 'could not read how full the stream is; keeping the last reading'),
    );
    room.start();
    const { ledger, store } = await openPolicy(waits, 'gateway', link, config, logger);
    stopping.signal.addEventListener('abort', () => ledger.close());
    metrics.watchLedger(() => ({ suppressed: ledger.suppressedCount, consent: ledger.consentCount }));
    const knownSource = (source: string) => keys.hasSource(source);
    const tasksStore = await waits.step('gateway', `the tasks "${tasksBucket(config.stream)}"`, () => TaskStore.open(link, tasksBucket(config.stream), config.replicas), permanentNatsFailure);
    const admin: AdminApis = {
      regulations: new RegulationsApi({ ledger, store, knownSource, maxIdLength: config.maxIdLength, now: () => new Date() }),
      tasks: new TasksApi({ store: tasksStore, lastSeq: async () => (await jsm.streams.info(definition.name)).state.last_seq, knownSource, now: () => new Date(), logger }),
    };

    // The accounting messages go on a connection of their own (on the records' one, each would queue behind every record
    // published before it), with bounds of their own (one message per NATS round trip), never refused for a full records stream.
    if (config.accounting) accountingLink = await openNatsLink(waits, 'gateway', config, logger);
    const accountingPublishes =
      accountingLink === undefined ? undefined : new JetStreamPublisher(accountingLink, { maxInFlight: ACCOUNTING_IN_FLIGHT, maxInFlightBytes: Infinity, timeoutMs: config.publishTimeoutMs });

    // Serving: both connections up, and the streams set up again since the records' connection came back.
    const health = new GatewayHealth();
    let streamsSetUp = true;
    const serving = () => streamsSetUp && link.connected && (accountingLink?.connected ?? true);
    link.on('down', () => {
      streamsSetUp = false;
      health.set(false);
    });
    link.on('up', () => {
      // Set the stream up again (a server restarted on an empty store lost it), as long as it takes.
      setUpStreams(new StartWaits(logger, Infinity, stopping.signal), `the streams ${streams} after NATS came back`).then(
        () => {
          streamsSetUp = true;
          health.set(serving());
        },
        (error: unknown) => {
          if (!(error instanceof StartCancelled)) logger.error({ err: error }, 'the stream could not be set up after NATS came back');
        },
      );
    });
    accountingLink?.on('down', () => health.set(false));
    accountingLink?.on('up', () => health.set(serving()));

    const publisher = new JetStreamPublisher(link, { maxInFlight: config.maxInFlight, maxInFlightBytes: config.maxInFlightBytes, timeoutMs: config.publishTimeoutMs }, room);
    const tail = new TailHub();
    const limits = validationLimits(config);
    const ingest = createIngest({
      publisher,
      limits,
      subjectPrefix: config.subjectPrefix,
      maxRecordsPerRequest: config.maxRecordsPerRequest,
      now: () => new Date(),
      metrics,
      rateLimits: new SourceRateLimits(sources),
      ledger,
      sources,
      logger,
      accounting: accountingPublishes && { publisher: new AccountingPublisher(accountingPublishes, accountingSubject(config)), slots: new SampleSlots(config.rejectionSamples) },
      tail,
    });

    // One gate for gRPC, gRPC-Web (through gRPC) and the HTTP doors, so failed authentications count once per client address.
    const gate = new AuthGate(keys, { maxFailures: config.authFailureLimit, windowMs: config.authFailureWindowMs, maxAddresses: MAX_TRACKED_ADDRESSES, now: Date.now }, config.adminKey);
    const server = new Server({ 'grpc.max_receive_message_length': config.maxRequestBytes * RECEIVE_CAP_FACTOR, interceptors: [authInterceptor(gate, config.trustedProxies)] });
    server.addService(ingestServiceDefinition(config.maxRequestBytes, limits), ingestHandlers(ingest, config.maxRequestBytes, limits, config.trustedProxies));
    server.addService(adminServiceDefinition(), adminHandlers(admin));
    health.addToServer(server);
    addReflection(server);
    const tls = serverTlsOf(config);
    const port = await bind(server, config.grpcAddr, grpcServerCredentials(tls));
    // With TLS, the in-process gRPC-Web bridge reaches the server through a socket only this user can open (a
    // private folder), so it needs no certificate of its own; clients still meet TLS (and mTLS) on both ports.
    const socketDir = tls === undefined ? undefined : mkdtempSync(join(tmpdir(), 'tributary-grpc-'));
    const bridgeTarget = socketDir === undefined ? undefined : `unix:${join(socketDir, 'grpc.sock')}`;
    if (bridgeTarget !== undefined) await bind(server, bridgeTarget, ServerCredentials.createInsecure());
    health.set(serving());
    logger.info({ address: config.grpcAddr, port, tls: tls !== undefined, mutualTls: (tls?.clientCaFile ?? '') !== '', stream: config.stream, sources: keys.size }, 'gateway listening');

    const httpDoors = new HttpDoors(
      {
        ingest,
        gate,
        limits,
        maxBodyBytes: config.grpcWebMaxBodyBytes,
        maxRequestBytes: config.maxRequestBytes,
        cors: new CorsPolicy(config.corsOrigins),
        contextFromConnection: config.contextFromConnection,
        trustedProxies: config.trustedProxies,
      },
      admin,
    );

    return {
      port,
      bridgeTarget,
      httpDoors,
      tail,
      get inFlight() {
        return publisher.inFlight;
      },
      get ready() {
        return serving();
      },
      async stop() {
        stopping.abort();
        health.set(false);
        tail.close();
        await shutdown(server, config.shutdownTimeoutMs);
        if (socketDir !== undefined) rmSync(socketDir, { recursive: true, force: true });
        publisher.close();
        accountingPublishes?.close();
        room.stop();
        keysFile?.close();
        await Promise.all([link.drain(), accountingLink?.drain()]);
        logger.info('gateway stopped');
      },
    };
  } catch (error) {
    // A start that fails leaves nothing running: an open connection would keep reconnecting, and the process alive.
    keysFile?.close();
    await Promise.all([link.drain(), accountingLink?.drain()]);
    throw error;
  }
}
