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
import { bridged, callClientAddress } from './client-address';
import { connectionFromMetadata, type Connection } from './connection';
import type { Peer } from '../stream/accounting-message';
import { ingestFrame } from './framing';

/** Requests of one IngestStream being worked on before the stream is paused. */
const STREAM_WINDOW = 8;

/**
 * Where a call came from, worked out when a rejection sample asks: the
 * client's address as authentication sees it (the browser's, behind this
 * process's gRPC-Web bridge; X-Forwarded-For only from a trusted proxy), never
 * a header a client could set itself; the user agent the bridge passed, or
 * the call's own.
 */
const grpcPeer = (call: { readonly metadata: Metadata; getPeer(): string }, connection: Connection | undefined, trustedProxies: readonly string[]) => (): Peer => {
  const fromBridge = bridged(call.metadata);
  const socketPeer = call
    .getPeer()
    .replace(/^ipv[46]:/, '')
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '');
  const [userAgent] = call.metadata.get('user-agent');
  return {
    transport: fromBridge ? 'grpc-web' : 'grpc',
    ip: callClientAddress(call.metadata, socketPeer, trustedProxies),
    userAgent: fromBridge && connection !== undefined ? connection.userAgent : typeof userAgent === 'string' ? userAgent : '',
  };
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
 * connection context changes; `trustedProxies` name the client of a call,
 * for rejection samples, as authentication does.
 */
export function ingestHandlers(ingest: Ingest, maxRequestBytes: number, limits: ValidationLimits, trustedProxies: readonly string[]): UntypedServiceImplementation {
  return {
    ingest(call: ServerUnaryCall<RequestFrame, IngestResponse>, callback: sendUnaryData<IngestResponse>): void {
      Promise.resolve()
        .then(() => {
          const connection = connectionFromMetadata(call.metadata);
          return ingestFrame(ingest, sourceOf(call.metadata), call.request, maxRequestBytes, limits, connection, grpcPeer(call, connection, trustedProxies));
        })
        .then(
          (response) => callback(null, response),
          (error: unknown) => callback(toServiceError(error)),
        );
    },

    ingestStream(call: ServerDuplexStream<RequestFrame, IngestResponse>): void {
      let sourceId: string;
      const connection = connectionFromMetadata(call.metadata);
      const peer = grpcPeer(call, connection, trustedProxies);
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
