/**
 * The gRPC health service (grpc.health.v1): SERVING while the gateway can
 * reach the stream, NOT_SERVING otherwise, for the server as a whole ("")
 * and for IngestService by name.
 */
import type { Server } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';

/** The full name of IngestService, as health checks and reflection know it. */
export const INGEST_SERVICE_NAME = 'tributary.ingest.v1.IngestService';

/** The gateway's health as grpc.health.v1 reports it. */
export class GatewayHealth {
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING', [INGEST_SERVICE_NAME]: 'NOT_SERVING' });

  /** Serves grpc.health.v1.Health on `server`. */
  addToServer(server: Server): void {
    this.health.addToServer(server);
  }

  /** Reports SERVING or NOT_SERVING. */
  set(serving: boolean): void {
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', status);
    this.health.setStatus(INGEST_SERVICE_NAME, status);
  }
}
