/**
 * The HTTP endpoint of every role: /healthz (the process is up), /readyz (it
 * can take and store records), /metrics (Prometheus), the admin key's routes
 * (admin-routes.ts) and the console that reads them (/console), and gRPC-Web and the HTTP doors (Connect, Intempt,
 * Segment) where the gateway runs.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createSecureServer, type Server as SecureServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { isGrpcWeb } from '../gateway/grpc-web-bridge';
import { answerJson } from './json-answer';
import type { Metrics } from '../observability/metrics';
import { httpsOptions, watchTlsFiles, type ServerTls } from '../tls/server-tls';
import { adminRoute, isAdminPath, type AdminRoutes } from './admin-routes';
import { isConsolePath, serveConsoleFile } from './console-files';

/** What the endpoint reports on; read at each request, so the parts of a process that is still starting can be added as they start. */
export interface HttpEndpointParts {
  readonly metrics: Metrics;
  /** Where a request that fails unexpectedly is logged, with its request id. */
  readonly logger: Logger;
  /** Named readiness checks, each true, false or the reason it is not ready; /readyz is 200 only when every one is true. */
  readonly ready: { readonly [part: string]: () => boolean | string };
  /** Named notices that do not make the process unready (a refused change of a watched file), each a sentence or undefined; /readyz lists those that are set. */
  notices?: { readonly [part: string]: () => string | undefined };
  /** The admin key's routes: the query and reconciliation where the sink runs, the tail where the gateway runs. */
  admin?: AdminRoutes;
  /** gRPC-Web calls and their CORS preflights, when this process runs the gateway. */
  grpcWeb?: (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;
  /** The HTTP doors (Connect, Intempt, Segment), when this process runs the gateway. */
  httpDoors?: { matches(request: IncomingMessage): boolean; handle(request: IncomingMessage, response: ServerResponse): void | Promise<void> };
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
    if (!response.headersSent) answerJson(response, 500, { error: 'internal error', requestId });
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
    } else if (isAdminPath(path) && parts.admin !== undefined) {
      return adminRoute(request, response, path, parts.admin, parts.metrics);
    } else if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
    } else if (isConsolePath(path) && parts.admin !== undefined) {
      serveConsoleFile(path, response);
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
