/**
 * Starts the chosen parts of the service (gateway, sink, or both) in one
 * process with one metrics registry and one HTTP endpoint, so that every
 * role — `serve`, `gateway`, `sink` — answers /healthz, /readyz and /metrics,
 * and every role with a gateway answers gRPC-Web.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/settings';
import { startGateway } from '../gateway/gateway';
import { GrpcWebBridge } from '../gateway/grpc-web-bridge';
import { startHttpEndpoint, type HttpEndpointParts } from '../http/http-server';
import { Metrics } from '../observability/metrics';
import { startSink } from '../sink/sink';
import { startIdentity } from '../identity/identity-stage';
import { runAdminQuery } from '../storage/admin-query';

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
  /** Stops the HTTP endpoint, then the gateway, then the sink. */
  stop(): Promise<void>;
}

/** Starts the sink first (it owns the schema), then the gateway, then the HTTP endpoint; stops what started if a part fails. */
export async function startParts(config: Config, logger: Logger, choice: PartChoice): Promise<RunningParts> {
  const metrics = new Metrics();
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const part of stops.splice(0).reverse()) await part();
  };
  const ready: Record<string, () => boolean | string> = {};
  let adminQuery: HttpEndpointParts['adminQuery'];
  let grpcPort: number | undefined;
  let grpcWeb: HttpEndpointParts['grpcWeb'];
  try {
    if (choice.sink) {
      const sink = await startSink(config, logger, undefined, metrics);
      stops.push(() => sink.stop());
      ready.sink = () => sink.ready();
      const identity = await startIdentity(config, logger, sink.clickhouse, metrics);
      stops.push(() => identity.stop());
      ready.identity = () => identity.ready();
      adminQuery = { adminKey: config.adminKey, run: (sql) => runAdminQuery(sink.clickhouse, sql) };
    }
    if (choice.gateway) {
      const gateway = await startGateway(config, logger, metrics);
      stops.push(() => gateway.stop());
      ready.gateway = () => gateway.ready;
      grpcPort = gateway.port;
      const bridge = new GrpcWebBridge({ target: reachable(config.grpcAddr, gateway.port), corsOrigins: config.corsOrigins, maxBodyBytes: config.grpcWebMaxBodyBytes, logger });
      stops.push(async () => bridge.close());
      grpcWeb = (request, response) => bridge.handle(request, response);
    }
    const http = await startHttpEndpoint(config.httpAddr, { metrics, ready, adminQuery, grpcWeb });
    stops.push(() => http.close());
    return { grpcPort, httpPort: http.port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
