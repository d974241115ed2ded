/**
 * The HTTP endpoint of every role: /healthz (the process is up), /readyz (it
 * can take and store records), /metrics (Prometheus), POST /admin/query
 * (read-only SQL, behind the admin key) where the sink runs, and gRPC-Web
 * and the HTTP doors (Connect, Intempt, Segment) where the gateway runs.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createSecureServer, type Server as SecureServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { digestKey } from '../config/parsers';
import { bearerToken } from '../gateway/auth';
import type { AuthThrottle } from '../gateway/auth-throttle';
import { clientAddress } from '../gateway/client-address';
import { isGrpcWeb } from '../gateway/grpc-web-bridge';
import type { Metrics } from '../observability/metrics';
import { httpsOptions, watchTlsFiles, type ServerTls } from '../tls/server-tls';
import { AdminQueryBusy, AdminQueryRefused, AdminQueryStopped, type AdminQueryAnswer } from '../storage/admin-query';

/** Largest admin query body. */
const MAX_QUERY_BYTES = 64 * 1024;

/** The admin query: the key that guards it and the function that runs it (`signal` aborts when the caller goes away). */
export interface AdminQueryEndpoint {
  readonly adminKey: string;
  readonly run: (sql: string, signal: AbortSignal) => Promise<AdminQueryAnswer>;
  /** Failed keys per client address: a throttled address is answered 429 without its key compared. */
  readonly throttle: AuthThrottle;
  /** Proxies whose X-Forwarded-For names the client. */
  readonly trustedProxies: readonly string[];
}

/** What the endpoint reports on; read at each request, so the parts of a process that is still starting can be added as they start. */
export interface HttpEndpointParts {
  readonly metrics: Metrics;
  /** Where a request that fails unexpectedly is logged, with its request id. */
  readonly logger: Logger;
  /** Named readiness checks, each true, false or the reason it is not ready; /readyz is 200 only when every one is true. */
  readonly ready: { readonly [part: string]: () => boolean | string };
  /** Named notices that do not make the process unready (a refused change of a watched file), each a sentence or undefined; /readyz lists those that are set. */
  notices?: { readonly [part: string]: () => string | undefined };
  /** The admin query, when this process holds the ClickHouse session. */
  adminQuery?: AdminQueryEndpoint;
  /** gRPC-Web calls and their CORS preflights, when this process runs the gateway. */
  grpcWeb?: (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;
  /** The HTTP doors (Connect, Intempt, Segment), when this process runs the gateway. */
  httpDoors?: { matches(request: IncomingMessage): boolean; handle(request: IncomingMessage, response: ServerResponse): void | Promise<void> };
}

const json = (response: ServerResponse, status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);

function authorized(request: IncomingMessage, adminKey: string): boolean {
  const presented = bearerToken(request.headers.authorization);
  return adminKey !== '' && presented !== undefined && timingSafeEqual(digestKey(presented), digestKey(adminKey));
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  let body = '';
  for await (const chunk of request) {
    body += String(chunk);
    if (body.length > MAX_QUERY_BYTES) return undefined;
  }
  return body;
}

/** The outcome an admin query's failure is counted under, and its HTTP status. */
function failureOf(error: unknown): { outcome: string; status: number } {
  if (error instanceof AdminQueryBusy) return { outcome: 'busy', status: 429 };
  if (error instanceof AdminQueryRefused) return { outcome: 'refused', status: 400 };
  if (error instanceof AdminQueryStopped) return { outcome: 'stopped', status: 503 };
  return { outcome: 'failed', status: 422 };
}

async function adminQuery(request: IncomingMessage, response: ServerResponse, endpoint: AdminQueryEndpoint, metrics: Metrics): Promise<void> {
  const address = clientAddress(request.socket.remoteAddress ?? '', request.headers['x-forwarded-for'], endpoint.trustedProxies);
  const retryAfterMs = endpoint.throttle.retryAfterMs(address);
  if (retryAfterMs !== undefined) {
    response.setHeader('retry-after', String(Math.ceil(retryAfterMs / 1000)));
    return void json(response, 429, { error: 'too many failed admin keys from this address: try again later' });
  }
  if (!authorized(request, endpoint.adminKey)) {
    endpoint.throttle.recordFailure(address);
    return void json(response, 401, { error: 'send the admin key as "authorization: Bearer <key>"' });
  }
  const sql = await readBody(request);
  if (sql === undefined) return void json(response, 413, { error: `the query is larger than ${MAX_QUERY_BYTES} bytes` });
  const gone = new AbortController();
  response.once('close', () => gone.abort());
  let answer: AdminQueryAnswer;
  try {
    answer = await endpoint.run(sql, gone.signal);
  } catch (error) {
    const { outcome, status } = failureOf(error);
    metrics.adminQueries.inc({ outcome });
    if (error instanceof AdminQueryBusy) response.setHeader('retry-after', String(error.retryAfterSeconds));
    return void json(response, status, { error: (error as Error).message.split('\n')[0] });
  }
  metrics.adminQueries.inc({ outcome: answer.truncated === false ? 'answered' : 'truncated' });
  json(response, 200, answer);
}

/**
 * Runs one request's handler so that nothing it throws, at once or later,
 * escapes: the failure is logged with a request id, and answered 500 with
 * that id when no answer has started (otherwise the connection is cut).
 */
async function guarded(request: IncomingMessage, response: ServerResponse, logger: Logger, handler: () => void | Promise<void>): Promise<void> {
  try {
    await handler();
  } catch (error) {
    const requestId = randomUUID();
    logger.error({ err: error, requestId, method: request.method, path: (request.url ?? '/').split('?')[0] }, 'HTTP request failed unexpectedly');
    if (!response.headersSent) json(response, 500, { error: 'internal error', requestId });
    else response.destroy();
  }
}

/** A listening HTTP endpoint. */
export interface HttpEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts the endpoint on `address` (host:port; port 0 picks a free one):
 * HTTPS when `tls` is given (its files watched, a change served to new
 * connections without a restart), plain HTTP otherwise.
 */
export async function startHttpEndpoint(address: string, parts: HttpEndpointParts, tls?: ServerTls): Promise<HttpEndpoint> {
  const route = (request: IncomingMessage, response: ServerResponse): void | Promise<void> => {
    const path = (request.url ?? '/').split('?')[0];
    if (parts.grpcWeb !== undefined && isGrpcWeb(request)) {
      return parts.grpcWeb(request, response);
    } else if (parts.httpDoors?.matches(request) === true) {
      return parts.httpDoors.handle(request, response);
    } else if (path === '/admin/query' && parts.adminQuery !== undefined) {
      if (request.method !== 'POST') response.writeHead(405, { allow: 'POST' }).end();
      else return adminQuery(request, response, parts.adminQuery, parts.metrics);
    } else if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
    } else if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const checks = Object.fromEntries(Object.entries(parts.ready).map(([name, check]) => [name, check()]));
      const ready = Object.values(checks).every((check) => check === true);
      const notices = Object.fromEntries(
        Object.entries(parts.notices ?? {})
          .map(([name, notice]) => [name, notice()])
          .filter(([, notice]) => notice !== undefined),
      );
      response.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify({ ready, checks, ...(Object.keys(notices).length > 0 ? { notices } : {}) })}\n`);
    } else if (path === '/metrics') {
      return parts.metrics.registry.metrics().then((text) => void response.writeHead(200, { 'content-type': parts.metrics.registry.contentType }).end(text));
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  };
  const listener = (request: IncomingMessage, response: ServerResponse) => guarded(request, response, parts.logger, () => route(request, response));
  const server: Server = tls === undefined ? createServer(listener) : createSecureServer(httpsOptions(tls), listener);
  const unwatch =
    tls === undefined
      ? () => undefined
      : watchTlsFiles(tls, () => {
          try {
            (server as SecureServer).setSecureContext(httpsOptions(tls));
            parts.logger.info('HTTP endpoint: TLS files reloaded');
          } catch (error) {
            parts.logger.error({ err: error }, 'HTTP endpoint: the changed TLS files are refused; the last good ones stay');
          }
        });
  const at = address.lastIndexOf(':');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(address.slice(at + 1)), address.slice(0, at).replace(/^\[|\]$/g, ''), resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        unwatch();
        server.close(() => resolve());
      }),
  };
}
