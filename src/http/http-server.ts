/**
 * The HTTP endpoint of `tributary serve`: /healthz (the process is up),
 * /readyz (it can take and store records) and /metrics (Prometheus).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../observability/metrics';

/** What the endpoint reports on. */
export interface HttpEndpointParts {
  readonly metrics: Metrics;
  /** Named readiness checks; /readyz is 200 only when every one is true. */
  readonly ready: { readonly [part: string]: () => boolean };
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
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
    } else if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const checks = Object.fromEntries(Object.entries(parts.ready).map(([name, check]) => [name, check()]));
      const ready = Object.values(checks).every(Boolean);
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
