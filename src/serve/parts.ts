/**
 * Starts the chosen parts of the service (gateway, sink, or both) in one
 * process with one metrics registry and one HTTP endpoint, so that every
 * role — `serve`, `gateway`, `sink` — answers /healthz, /readyz and /metrics.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/settings';
import { startGateway } from '../gateway/gateway';
import { startHttpEndpoint, type HttpEndpointParts } from '../http/http-server';
import { Metrics } from '../observability/metrics';
import { startSink } from '../sink/sink';
import { runAdminQuery } from '../storage/admin-query';

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
  const ready: Record<string, () => boolean> = {};
  let adminQuery: HttpEndpointParts['adminQuery'];
  let grpcPort: number | undefined;
  try {
    if (choice.sink) {
      const sink = await startSink(config, logger, undefined, metrics);
      stops.push(() => sink.stop());
      ready.sink = () => !sink.stats.failing;
      adminQuery = { adminKey: config.adminKey, run: (sql) => runAdminQuery(sink.clickhouse, sql) };
    }
    if (choice.gateway) {
      const gateway = await startGateway(config, logger, metrics);
      stops.push(() => gateway.stop());
      ready.gateway = () => gateway.ready;
      grpcPort = gateway.port;
    }
    const http = await startHttpEndpoint(config.httpAddr, { metrics, ready, adminQuery });
    stops.push(() => http.close());
    return { grpcPort, httpPort: http.port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
