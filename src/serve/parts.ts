/**
 * Starts the chosen parts of the service (gateway, sink, or both) in one
 * process with one metrics registry and one HTTP endpoint, so that every
 * role — `serve`, `gateway`, `sink` — answers /healthz, /readyz and /metrics,
 * and every role with a gateway answers gRPC-Web. The HTTP endpoint comes up
 * first, so that while the parts wait for NATS or ClickHouse, /readyz says
 * what each one waits for.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/settings';
import { SourcesFile } from '../config/sources-file';
import { serverTlsOf } from '../tls/server-tls';
import { startGateway } from '../gateway/gateway';
import { GrpcWebBridge } from '../gateway/grpc-web-bridge';
import { AuthThrottle, MAX_TRACKED_ADDRESSES } from '../gateway/auth-throttle';
import { startHttpEndpoint, type HttpEndpointParts } from '../http/http-server';
import type { AdminRoutes } from '../http/admin-routes';
import { accountingReads, reconcile } from '../accounting/reconcile';
import { overview } from '../accounting/overview';
import { StartWaits } from '../lifecycle/start-waits';
import { StopList } from '../lifecycle/stop-list';
import { Metrics } from '../observability/metrics';
import { startSink } from '../sink/sink';
import { startIdentity } from '../identity/identity-stage';
import { startPrivacy } from '../privacy/privacy-stage';
import { startTaskStage } from '../repair/start-tasks';
import { AdminQueries } from '../storage/admin-query';

/** The address this process reaches its own gRPC server at: the listen host, or loopback for a wildcard. */
export function reachable(listenAddress: string, port: number): string {
  const host = listenAddress.slice(0, listenAddress.lastIndexOf(':'));
  if (host === '0.0.0.0') return `127.0.0.1:${port}`;
  if (host === '[::]') return `[::1]:${port}`;
  return `${host}:${port}`;
}

/** Which parts to run. */
export interface PartChoice {
  readonly gateway: boolean;
  readonly sink: boolean;
}

/** The running parts. */
export interface RunningParts {
  /** The gRPC port, when the gateway runs. */
  readonly grpcPort: number | undefined;
  readonly httpPort: number;
  /** Stops the gateway, then the sink, then the HTTP endpoint (which says "stopping" meanwhile). */
  stop(): Promise<void>;
}

/**
 * Starts the HTTP endpoint, then the sink (it owns the schema), the identity
 * stage and the gateway, each waiting for what it needs within
 * TRIBUTARY_START_TIMEOUT; `signal` cancels a start in progress. Stops what
 * started if a part fails.
 */
export async function startParts(config: Config, logger: Logger, choice: PartChoice, signal?: AbortSignal): Promise<RunningParts> {
  const metrics = new Metrics();
  const waits = new StartWaits(logger, config.startTimeoutMs, signal);
  const ready: Record<string, () => boolean | string> = {};
  const names = [...(choice.sink ? ['sink', 'identity'] : []), ...(choice.gateway ? ['gateway'] : [])];
  for (const name of names) ready[name] = waits.readiness(name);
  const access = {
    adminKey: config.adminKey,
    throttle: new AuthThrottle({ maxFailures: config.authFailureLimit, windowMs: config.authFailureWindowMs, maxAddresses: MAX_TRACKED_ADDRESSES, now: Date.now }),
    trustedProxies: config.trustedProxies,
  };
  const admin: AdminRoutes = { access };
  const endpoint: HttpEndpointParts = { metrics, logger, ready, admin };
  const tls = serverTlsOf(config);
  const http = await startHttpEndpoint(config.httpAddr, endpoint, tls);
  logger.info({ address: config.httpAddr, port: http.port, tls: tls !== undefined }, 'HTTP endpoint listening');
  const stops = new StopList(logger);
  stops.add(() => http.close(), 'HTTP endpoint stopped');
  const sources = config.sourcesFile === '' ? undefined : SourcesFile.open(config.sourcesFile, logger);
  if (sources !== undefined) {
    stops.add(() => sources.close());
    endpoint.notices = { 'sources file': () => sources.refused };
  }
  const stop = async () => {
    for (const name of names) ready[name] = () => 'stopping';
    await stops.stopAll();
  };
  let grpcPort: number | undefined;
  try {
    if (choice.sink) {
      const sink = await startSink(config, logger, undefined, metrics, waits);
      stops.add(() => sink.stop());
      ready.sink = () => sink.ready();
      const adminQueries = await AdminQueries.open(config, sink.clickhouse);
      stops.add(() => adminQueries.close());
      metrics.watchAdminQueries(() => adminQueries.runningCount);
      admin.query = (sql, signal) => adminQueries.run(sql, signal);
      const reads = await accountingReads(config, sink.clickhouse, sink.nats.nc);
      admin.reconcile = (source, fromMs) => reconcile(reads, source, fromMs);
      admin.overview = (fromMs) => overview(reads, fromMs);
      const privacy = await startPrivacy(config, logger, sink.clickhouse, sink.nats, waits);
      stops.add(() => privacy.stop());
      const identity = await startIdentity(config, logger, sink.clickhouse, metrics, sink.nats, waits, sources?.lookup, privacy.ledger);
      stops.add(() => identity.stop());
      ready.identity = () => identity.ready();
      const tasks = await startTaskStage(config, logger, sink, identity, privacy.ledger, privacy.regulations, waits, sources?.lookup);
      stops.add(() => tasks.stop());
    }
    if (choice.gateway) {
      const gateway = await startGateway(config, logger, metrics, waits, sources?.lookup);
      stops.add(() => gateway.stop());
      ready.gateway = () => gateway.ready;
      grpcPort = gateway.port;
      const bridge = new GrpcWebBridge({
        target: gateway.bridgeTarget ?? reachable(config.grpcAddr, gateway.port),
        corsOrigins: config.corsOrigins,
        maxBodyBytes: config.grpcWebMaxBodyBytes,
        logger,
        connectionContext: config.contextFromConnection ? { trustedProxies: config.trustedProxies } : undefined,
      });
      stops.add(() => bridge.close());
      endpoint.grpcWeb = (request, response) => bridge.handle(request, response);
      endpoint.httpDoors = gateway.httpDoors;
      admin.tail = gateway.tail;
    }
    return { grpcPort, httpPort: http.port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
