/**
 * IngestService on grpc-js: the service definition (with a request reader
 * that never throws) and the two handlers, thin adapters over ingest().
 * Ingest answers one call; IngestStream answers every request of a stream in
 * order, working on several at once but pausing the stream when too many wait.
 */
import { once } from 'node:events';
import type { Metadata, sendUnaryData, ServerDuplexStream, ServerUnaryCall, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ValidationLimits } from '../contract';
import { toServiceError } from '../errors/grpc-status';
import { IngestServiceService, type IngestResponse } from '../gen/tributary/ingest/v1/ingest_service';
import { sourceOf } from './grpc-auth';
import type { Ingest } from './ingest';
import { readRequestFrame, type RequestFrame } from './request-frame';
import { connectionFromMetadata, type Connection } from './connection';
import type { Peer } from '../stream/accounting-message';
import { ingestFrame } from './framing';

/** Requests of one IngestStream being worked on before the stream is paused. */
const STREAM_WINDOW = 8;

/**
 * Where a call came from, worked out when a rejection sample asks: the
 * browser the gRPC-Web bridge passed on (when it passes the connection), or
 * the gRPC peer's address and user agent.
 */
const grpcPeer = (call: { readonly metadata: Metadata; getPeer(): string }, connection: Connection | undefined) => (): Peer => {
  if (connection !== undefined) return { transport: 'grpc-web', ...connection };
  const [userAgent] = call.metadata.get('user-agent');
  const ip = call
    .getPeer()
    .replace(/^ipv[46]:/, '')
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '');
  return { transport: 'grpc', ip, userAgent: typeof userAgent === 'string' ? userAgent : '' };
};

/** IngestService's definition, reading requests with {@link readRequestFrame}. */
export function ingestServiceDefinition(maxRequestBytes: number, limits: ValidationLimits): ServiceDefinition {
  const requestDeserialize = (buffer: Buffer): RequestFrame => readRequestFrame(buffer, maxRequestBytes, limits);
  return {
    ingest: { ...IngestServiceService.ingest, requestDeserialize },
    ingestStream: { ...IngestServiceService.ingestStream, requestDeserialize },
  };
}

/**
 * The handlers of IngestService, for calls that the auth interceptor
 * (grpc-auth.ts) has authenticated; `limits` check the records the bridge's
 * connection context changes.
 */
export function ingestHandlers(ingest: Ingest, maxRequestBytes: number, limits: ValidationLimits): UntypedServiceImplementation {
  return {
    ingest(call: ServerUnaryCall<RequestFrame, IngestResponse>, callback: sendUnaryData<IngestResponse>): void {
      Promise.resolve()
        .then(() => {
          const connection = connectionFromMetadata(call.metadata);
          return ingestFrame(ingest, sourceOf(call.metadata), call.request, maxRequestBytes, limits, connection, grpcPeer(call, connection));
        })
        .then(
          (response) => callback(null, response),
          (error: unknown) => callback(toServiceError(error)),
        );
    },

    ingestStream(call: ServerDuplexStream<RequestFrame, IngestResponse>): void {
      let sourceId: string;
      const connection = connectionFromMetadata(call.metadata);
      const peer = grpcPeer(call, connection);
      try {
        sourceId = sourceOf(call.metadata);
      } catch (error) {
        call.emit('error', toServiceError(error));
        return;
      }
      let answered = Promise.resolve();
      let waiting = 0;
      let failed = false;
      call.on('data', (frame: RequestFrame) => {
        if (failed) return;
        const response = ingestFrame(ingest, sourceId, frame, maxRequestBytes, limits, connection, peer);
        response.catch(() => undefined);
        if (++waiting >= STREAM_WINDOW) call.pause();
        answered = answered.then(async () => {
          if (failed) return;
          try {
            if (!call.write(await response)) await once(call, 'drain');
          } catch (error) {
            failed = true;
            call.emit('error', toServiceError(error));
            return;
          }
          if (--waiting < STREAM_WINDOW) call.resume();
        });
      });
      call.on('end', () => {
        void answered.then(() => {
          if (!failed) call.end();
        });
      });
    },
  };
}
