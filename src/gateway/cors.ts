/**
 * CORS for the gRPC-Web endpoint and the HTTP doors: which browser origins may call them, and the
 * headers of preflight and actual responses. No origin is allowed unless
 * configured (TRIBUTARY_CORS_ORIGINS); requests without an Origin header
 * (servers, curl, buf) are not cross-origin and always pass.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 600;

/** Response headers the browser's code may read: the status, and any metadata the server sends. */
const ALWAYS_EXPOSED = ['grpc-status', 'grpc-message', 'grpc-status-details-bin'];

/** The allowed origins and the headers that say so. */
export class CorsPolicy {
  private readonly any: boolean;
  private readonly allowed: ReadonlySet<string>;
  /** scheme://host of origins given as scheme://host:* (any port). */
  private readonly anyPort: ReadonlySet<string>;

  /** `origins`: exact origins (scheme://host[:port]), scheme://host:* for any port, or "*" for any origin. */
  constructor(origins: readonly string[]) {
    this.any = origins.includes('*');
    this.allowed = new Set(origins);
    this.anyPort = new Set(origins.filter((o) => o.endsWith(':*')).map((o) => o.slice(0, -2)));
  }

  /** Whether a request from `origin` may be served (no Origin: yes). */
  allows(origin: string | undefined): boolean {
    if (origin === undefined || this.any || this.allowed.has(origin)) return true;
    return this.anyPort.has(origin.replace(/:\d+$/, ''));
  }

  /**
   * Answers what CORS alone decides: a request from an origin not allowed
   * (403), and a preflight (204). Returns whether the call is left to serve.
   */
  admit(request: IncomingMessage, response: ServerResponse): boolean {
    const origin = request.headers.origin;
    if (!this.allows(origin)) {
      response.writeHead(403, { 'content-type': 'text/plain' }).end(`origin ${origin} is not allowed: add it to TRIBUTARY_CORS_ORIGINS\n`);
      return false;
    }
    if (request.method === 'OPTIONS') {
      response.writeHead(204, origin === undefined ? {} : this.preflightHeaders(origin, request.headers['access-control-request-headers'])).end();
      return false;
    }
    return true;
  }

  /** Headers of the answer to an allowed preflight (OPTIONS) request. */
  preflightHeaders(origin: string, requestedHeaders: string | undefined): Record<string, string> {
    return {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': requestedHeaders ?? 'authorization, content-type, grpc-timeout, x-grpc-web, x-user-agent',
      'access-control-max-age': String(PREFLIGHT_MAX_AGE_S),
      vary: 'origin, access-control-request-headers',
    };
  }

  /** Headers that let the page at `origin` read a response carrying `metadataNames`; none without an Origin. */
  responseHeaders(origin: string | undefined, metadataNames: readonly string[]): Record<string, string> {
    if (origin === undefined) return {};
    return {
      'access-control-allow-origin': origin,
      'access-control-expose-headers': [...ALWAYS_EXPOSED, ...metadataNames].join(', '),
      vary: 'origin',
    };
  }
}
