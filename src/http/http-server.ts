/**
 * The HTTP endpoint of every role: /healthz (the process is up), /readyz (it
 * can take and store records), /metrics (Prometheus), POST /admin/query
 * (read-only SQL, behind the admin key) where the sink runs, and gRPC-Web
 * and the HTTP doors (Connect, Intempt, Segment) where the gateway runs.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { digestKey } from '../config/parsers';
import { bearerToken } from '../gateway/auth';
import { isGrpcWeb } from '../gateway/grpc-web-bridge';
import type { Metrics } from '../observability/metrics';
import { AdminQueryRefused } from '../storage/admin-query';

/** Largest admin query body. */
const MAX_QUERY_BYTES = 64 * 1024;

/** The admin query: the key that guards it and the function that runs it. */
export interface AdminQueryEndpoint {
  readonly adminKey: string;
  readonly run: (sql: string) => Promise<unknown[]>;
}

/** What the endpoint reports on; read at each request, so the parts of a process that is still starting can be added as they start. */
export interface HttpEndpointParts {
  readonly metrics: Metrics;
  /** Named readiness checks, each true, false or the reason it is not ready; /readyz is 200 only when every one is true. */
  readonly ready: { readonly [part: string]: () => boolean | string };
  /** The admin query, when this process holds the ClickHouse session. */
  adminQuery?: AdminQueryEndpoint;
  /** gRPC-Web calls and their CORS preflights, when this process runs the gateway. */
  grpcWeb?: (request: IncomingMessage, response: ServerResponse) => void;
  /** The HTTP doors (Connect, Intempt, Segment), when this process runs the gateway. */
  httpDoors?: { matches(request: IncomingMessage): boolean; handle(request: IncomingMessage, response: ServerResponse): void };
}

const json = (response: ServerResponse, status: number, body: unknown) =>
  response.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);

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

async function adminQuery(request: IncomingMessage, response: ServerResponse, endpoint: AdminQueryEndpoint): Promise<void> {
  if (!authorized(request, endpoint.adminKey)) return void json(response, 401, { error: 'send the admin key as "authorization: Bearer <key>"' });
  const sql = await readBody(request);
  if (sql === undefined) return void json(response, 413, { error: `the query is larger than ${MAX_QUERY_BYTES} bytes` });
  try {
    json(response, 200, { rows: await endpoint.run(sql) });
  } catch (error) {
    json(response, error instanceof AdminQueryRefused ? 400 : 422, { error: (error as Error).message.split('\n')[0] });
  }
}

/** A listening HTTP endpoint. */
export interface HttpEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the endpoint on `address` (host:port; port 0 picks a free one). */
export async function startHttpEndpoint(address: string, parts: HttpEndpointParts): Promise<HttpEndpoint> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (parts.grpcWeb !== undefined && isGrpcWeb(request)) {
      parts.grpcWeb(request, response);
    } else if (parts.httpDoors?.matches(request) === true) {
      parts.httpDoors.handle(request, response);
    } else if (path === '/admin/query' && parts.adminQuery !== undefined) {
      if (request.method !== 'POST') response.writeHead(405, { allow: 'POST' }).end();
      else void adminQuery(request, response, parts.adminQuery);
    } else if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
    } else if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const checks = Object.fromEntries(Object.entries(parts.ready).map(([name, check]) => [name, check()]));
      const ready = Object.values(checks).every((check) => check === true);
      response.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify({ ready, checks })}\n`);
    } else if (path === '/metrics') {
      parts.metrics.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': parts.metrics.registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  const at = address.lastIndexOf(':');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(address.slice(at + 1)), address.slice(0, at).replace(/^\[|\]$/g, ''), resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
