/**
 * gRPC-Web on the HTTP endpoint, as Envoy's grpc_web filter does it: each
 * browser request becomes an HTTP/2 gRPC call to this process's own grpc-js
 * server, frames passed through both ways. The response's trailers become
 * the final frame of the body. Handles the binary and "-text" (base64)
 * forms, metadata both ways, deadlines (grpc-timeout, enforced by grpc-js),
 * cancellation when the browser goes away, a body-size limit, and CORS. No
 * byte of a body is read before the gRPC server has authenticated its call.
 */
import { connect as netConnect } from 'node:net';
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { status as Status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { encodeFrame, encodeTrailers, TRAILER_FLAG } from '../../sdk/src/wire';
import { CorsPolicy } from './cors';
import { Base64Decoder, Base64Encoder } from './grpc-web-text';
import { bridgePeerHeaders } from './client-address';
import { connectionHeaders, connectionOf, type Connection } from './connection';

/** Request headers that belong to HTTP/1 or the browser, not to gRPC metadata. */
const NOT_METADATA = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'content-length',
  'content-type',
  'accept',
  'accept-encoding',
  'accept-language',
  'origin',
  'referer',
  'user-agent',
  'cookie',
  'pragma',
  'cache-control',
  'priority',
  'dnt',
  'x-grpc-web',
  'x-user-agent',
  'grpc-accept-encoding',
]);

/** How many times the body limit a declared body may be, and still be read and dropped after a refusal rather than the connection closed. */
const DRAIN_FACTOR = 4;

/** Headers only the bridge may set for the gRPC server: dropped from what browsers send. */
const BRIDGE_HEADER_PREFIX = 'x-tributary-';

/** Response headers of the grpc-js server that are not metadata for the browser. */
const NOT_RESPONSE_METADATA = new Set([':status', 'content-type', 'date', 'grpc-accept-encoding', 'grpc-encoding', 'accept-encoding']);

/** The prefix of a target that is a local socket's path. */
const UNIX = 'unix:';

/** Where the bridge sends calls, and its limits. */
export interface GrpcWebOptions {
  /** The grpc-js server: host:port, or `unix:<path>` for a local socket. */
  readonly target: string;
  readonly corsOrigins: readonly string[];
  /** Largest request body, in bytes before any base64 decoding. */
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  /** When set, each call carries its connection (address, user agent) for the gRPC server to fill records' context. */
  readonly connectionContext?: { readonly trustedProxies: readonly string[] };
}

/** Whether the request is a preflight or a gRPC-Web call. */
export function isGrpcWeb(request: IncomingMessage): boolean {
  if (request.method === 'OPTIONS') return request.headers['access-control-request-method'] !== undefined;
  return request.method === 'POST' && (request.headers['content-type'] ?? '').startsWith('application/grpc-web');
}

/** The metadata of a browser request, as HTTP/2 headers for grpc-js. */
export function requestMetadata(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const metadata: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!NOT_METADATA.has(name) && !name.startsWith('sec-') && !name.startsWith('access-control-') && !name.startsWith(BRIDGE_HEADER_PREFIX) && value !== undefined) metadata[name] = value;
  }
  return metadata;
}

/** The metadata of a grpc-js response, as headers for the browser. */
export function responseMetadata(headers: IncomingHttpHeaders): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!NOT_RESPONSE_METADATA.has(name) && !name.startsWith(':') && value !== undefined) metadata[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return metadata;
}

/**
 * One call through the bridge: the browser's request and response, and the
 * HTTP/2 stream between. The body is sent only once grpc-js has taken the
 * call: its auth interceptor (grpc-auth.ts) answers headers at once for a
 * call it lets through, and a status for one it refuses, before any body.
 */
class BridgedCall {
  private readonly text: boolean;
  private readonly encoder = new Base64Encoder();
  private upstream: ClientHttp2Stream | undefined;
  /** The response metadata grpc-js sent, for the browser's headers. */
  private metadata: Record<string, string> = {};
  private headersSent = false;
  private finished = false;
  private released = false;

  /** `closed` runs once, when the HTTP/2 stream to grpc-js closes or the bridge closes it. */
  constructor(
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
    private readonly cors: CorsPolicy,
    private readonly closed: () => void,
  ) {
    this.text = (request.headers['content-type'] ?? '').startsWith('application/grpc-web-text');
    response.on('close', () => {
      if (!this.finished) this.closeUpstream(constants.NGHTTP2_CANCEL);
    });
  }

  /**
   * Sends the call to grpc-js and, once it has taken the call, streams the
   * request body into it within `maxBodyBytes`; a call refused at once (a
   * missing or unknown key) has none of its body read.
   */
  start(session: ClientHttp2Session, maxBodyBytes: number, connection: Connection | undefined): void {
    const upstream = session.request({
      ...requestMetadata(this.request.headers),
      ...bridgePeerHeaders(this.request.socket.remoteAddress),
      ...(connection === undefined ? {} : connectionHeaders(connection)),
      ':method': 'POST',
      ':path': this.request.url ?? '/',
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-accept-encoding': 'identity',
    });
    this.upstream = upstream;
    upstream.on('close', () => this.release());
    upstream.on('response', (headers) => {
      if (headers['grpc-status'] === undefined) {
        this.metadata = responseMetadata(headers);
        return this.sendBody(upstream, maxBodyBytes);
      }
      // Refused before its body was read: the body stays unread, and a connection with some of it still to come is closed.
      this.closeUpstream(constants.NGHTTP2_NO_ERROR);
      if (!this.request.complete) this.closeConnection();
      this.finish(responseMetadata(headers));
    });
    upstream.on('data', (chunk: Buffer) => this.write(chunk));
    upstream.on('trailers', (trailers) => this.finish(responseMetadata(trailers)));
    upstream.on('end', () => this.finish({ 'grpc-status': String(Status.INTERNAL), 'grpc-message': 'the call ended without a status' }));
    upstream.on('error', (error) => this.finish({ 'grpc-status': String(Status.UNAVAILABLE), 'grpc-message': `the gateway did not answer: ${error.message}` }));
  }

  /**
   * Streams the request body into the call, within `maxBodyBytes`. A body
   * declared larger is refused before any of it is read: up to DRAIN_FACTOR
   * times the limit it is read and dropped after the answer, so a client still
   * sending it gets the answer (an SDK then splits its batch) rather than a
   * connection closed under it; a larger one closes the connection.
   */
  private sendBody(upstream: ClientHttp2Stream, maxBodyBytes: number): void {
    const tooLarge = `the request body is larger than ${maxBodyBytes} bytes`;
    const declared = Number(this.request.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) {
      this.closeUpstream(constants.NGHTTP2_CANCEL);
      return this.fail(Status.RESOURCE_EXHAUSTED, tooLarge, declared > DRAIN_FACTOR * maxBodyBytes);
    }
    const decoder = this.text ? new Base64Decoder() : undefined;
    let received = 0;
    this.request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBodyBytes) {
        this.closeUpstream(constants.NGHTTP2_CANCEL);
        this.request.pause();
        return this.fail(Status.RESOURCE_EXHAUSTED, tooLarge, true);
      }
      try {
        upstream.write(decoder === undefined ? chunk : decoder.push(chunk.toString('latin1')));
      } catch {
        this.closeUpstream(constants.NGHTTP2_CANCEL);
        this.fail(Status.INVALID_ARGUMENT, 'the grpc-web-text body is not valid base64');
      }
    });
    this.request.on('end', () => {
      if (decoder?.incomplete === true) {
        this.closeUpstream(constants.NGHTTP2_CANCEL);
        return this.fail(Status.INVALID_ARGUMENT, 'the grpc-web-text body ends part-way through a base64 group');
      }
      upstream.end();
    });
  }

  /** Answers with a status of the bridge's own, as a trailer frame. */
  private fail(code: Status, message: string, closeConnection = false): void {
    if (closeConnection) this.closeConnection();
    this.finish({ 'grpc-status': String(code), 'grpc-message': encodeURIComponent(message) });
  }

  /** Closes the browser's connection after the answer, when the answer has not started. */
  private closeConnection(): void {
    if (!this.headersSent) this.response.setHeader('connection', 'close');
  }

  /** Closes the HTTP/2 stream to grpc-js; the call no longer counts as open. */
  private closeUpstream(code: number): void {
    this.upstream?.close(code);
    this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.closed();
  }

  private writeHead(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.response.writeHead(200, {
      'content-type': this.text ? 'application/grpc-web-text+proto' : 'application/grpc-web+proto',
      ...this.metadata,
      ...this.cors.responseHeaders(this.request.headers.origin, Object.keys(this.metadata)),
    });
  }

  private write(bytes: Uint8Array): void {
    if (this.finished) return;
    this.writeHead();
    this.response.write(this.text ? this.encoder.push(bytes) : bytes);
  }

  private finish(trailers: Record<string, string>): void {
    if (this.finished) return;
    this.write(encodeFrame(TRAILER_FLAG, encodeTrailers(trailers)));
    this.finished = true;
    this.response.end(this.text ? this.encoder.end() : undefined);
  }
}

/** The bridge: one HTTP/2 session to the grpc-js server, opened on first use and again after it closes. */
export class GrpcWebBridge {
  private session: ClientHttp2Session | undefined;
  private readonly cors: CorsPolicy;
  private open = 0;

  constructor(private readonly options: GrpcWebOptions) {
    this.cors = new CorsPolicy(options.corsOrigins);
  }

  /** Serves a preflight or a gRPC-Web call (see {@link isGrpcWeb}). */
  handle(request: IncomingMessage, response: ServerResponse): void {
    if (!this.cors.admit(request, response)) return;
    const call = new BridgedCall(request, response, this.cors, () => this.open--);
    this.open++;
    const context = this.options.connectionContext;
    call.start(this.connection(), this.options.maxBodyBytes, context === undefined ? undefined : connectionOf(request, context.trustedProxies));
  }

  /** Calls whose HTTP/2 stream to grpc-js is still open. */
  get openCalls(): number {
    return this.open;
  }

  private connection(): ClientHttp2Session {
    if (this.session === undefined || this.session.closed || this.session.destroyed) {
      const target = this.options.target;
      const session = target.startsWith(UNIX) ? connect('http://localhost', { createConnection: () => netConnect(target.slice(UNIX.length)) }) : connect(`http://${target}`);
      session.on('error', (error) => this.options.logger.warn({ err: error }, 'gRPC-Web bridge lost its connection to the gRPC server'));
      session.on('close', () => {
        if (this.session === session) this.session = undefined;
      });
      session.unref();
      this.session = session;
    }
    return this.session;
  }

  /** Closes the HTTP/2 session. */
  close(): void {
    this.session?.close();
  }
}
