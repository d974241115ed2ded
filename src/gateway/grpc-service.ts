/**
 * IngestService on grpc-js: the service definition (with a request reader
 * that never throws) and the two handlers, thin adapters over ingest().
 * Ingest answers one call; IngestStream answers every request of a stream in
 * order, working on several at once but pausing the stream when too many wait.
 */
import { once } from 'node:events';
import type { sendUnaryData, ServerDuplexStream, ServerUnaryCall, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ValidationLimits } from '../contract';
import { IngestError } from '../errors/ingest-error';
import { toServiceError } from '../errors/grpc-status';
import { IngestServiceService, type IngestResponse } from '../gen/tributary/ingest/v1/ingest_service';
import { sourceOf } from './grpc-auth';
import type { Ingest } from './ingest';
import { readRequestFrame, type RequestFrame } from './request-frame';
import { connectionFromMetadata, type Connection } from './http/connection';
import { withConnectionFramed } from './http/door';

/** Requests of one IngestStream being worked on before the stream is paused. */
const STREAM_WINDOW = 8;

/** IngestService's definition, reading requests with {@link readRequestFrame}. */
export function ingestServiceDefinition(maxRequestBytes: number, limits: ValidationLimits): ServiceDefinition {
  const requestDeserialize = (buffer: Buffer): RequestFrame => readRequestFrame(buffer, maxRequestBytes, limits);
  return {
    ingest: { ...IngestServiceService.ingest, requestDeserialize },
    ingestStream: { ...IngestServiceService.ingestStream, requestDeserialize },
  };
}

/**
 * Ingests one request frame of an authenticated source, read off the wire by
 * gRPC or by the Connect door's binary form; `connection` is what the gRPC-Web
 * bridge passed, if it did.
 */
export async function ingestFrame(ingest: Ingest, sourceId: string, frame: RequestFrame, maxRequestBytes: number, limits: ValidationLimits, connection: Connection | undefined): Promise<IngestResponse> {
  if (frame.kind === 'too-large') {
    throw new IngestError('REQUEST_TOO_LARGE', `the request is ${frame.size} bytes; at most ${maxRequestBytes} are allowed`, {
      metadata: { max_bytes: String(maxRequestBytes), bytes: String(frame.size) },
    });
  }
  if (frame.kind === 'malformed') {
    throw new IngestError('MALFORMED_REQUEST', `the request is not a readable IngestRequest: ${frame.problem}`);
  }
  const records = connection === undefined ? frame.records : frame.records.map((framed) => withConnectionFramed(framed, connection, limits));
  return ingest({ sourceId, records, sentAt: frame.sentAt });
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
        .then(() => ingestFrame(ingest, sourceOf(call.metadata), call.request, maxRequestBytes, limits, connectionFromMetadata(call.metadata)))
        .then(
          (response) => callback(null, response),
          (error: unknown) => callback(toServiceError(error)),
        );
    },

    ingestStream(call: ServerDuplexStream<RequestFrame, IngestResponse>): void {
      let sourceId: string;
      const connection = connectionFromMetadata(call.metadata);
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
        const response = ingestFrame(ingest, sourceId, frame, maxRequestBytes, limits, connection);
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
