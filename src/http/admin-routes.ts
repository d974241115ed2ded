/**
 * The admin key's routes on the HTTP endpoint, each where its part runs:
 * POST /admin/query (read-only SQL), GET /admin/reconcile (a source's
 * equations, docs/accounting.md) and GET /admin/overview (the console's
 * counts, samples, lags and regulations) where the sink runs, and GET
 * /admin/tail (the gateway's answers as server-sent events) where the
 * gateway runs.
 * Every one authenticates before it does any work, and failed keys are
 * throttled per client address.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Overview } from '../accounting/overview';
import type { Reconciliation } from '../accounting/reconcile';
import { WindowTooLarge } from '../accounting/stream-scan';
import { digestKey, duration, token } from '../config/parsers';
import { bearerToken } from '../gateway/auth';
import type { AuthThrottle } from '../gateway/auth-throttle';
import { clientAddress } from '../gateway/client-address';
import { isLine, TooManyWatchers, type TailEvent, type TailFilter, type TailHub } from '../gateway/tail-hub';
import { answerJson } from './json-answer';
import type { Metrics } from '../observability/metrics';
import { AdminQueryBusy, AdminQueryRefused, AdminQueryStopped, type AdminQueryAnswer } from '../storage/admin-query';

/** Largest admin query body. */
const MAX_QUERY_BYTES = 64 * 1024;
/** The tail's default and largest rate, lines a second. */
export const TAIL_DEFAULT_RATE = 1_000;
const TAIL_MAX_RATE = 100_000;
/** How often an idle tail sends a comment, so proxies keep it open. */
const TAIL_KEEPALIVE_MS = 15_000;

/** The admin key and the throttle of failed keys. */
export interface AdminAccess {
  readonly adminKey: string;
  /** Failed keys per client address: a throttled address is answered 429 without its key compared. */
  readonly throttle: AuthThrottle;
  /** Proxies whose X-Forwarded-For names the client. */
  readonly trustedProxies: readonly string[];
}

/** The admin routes this process serves; set as its parts start. */
export interface AdminRoutes {
  readonly access: AdminAccess;
  /** The admin query, where the sink runs (`signal` aborts when the caller goes away). */
  query?: (sql: string, signal: AbortSignal) => Promise<AdminQueryAnswer>;
  /** A source's reconciliation from a time on, where the sink runs. */
  reconcile?: (source: string, fromMs: number) => Promise<Reconciliation>;
  /** The console's overview from a time on, where the sink runs. */
  overview?: (fromMs: number) => Promise<Overview>;
  /** The live tail of the answers, where the gateway runs. */
  tail?: TailHub;
}

/** Whether the request carries the admin key; answers 429 or 401 when it does not. */
function admitted(request: IncomingMessage, response: ServerResponse, access: AdminAccess): boolean {
  const address = clientAddress(request.socket.remoteAddress ?? '', request.headers['x-forwarded-for'], access.trustedProxies);
  const retryAfterMs = access.throttle.retryAfterMs(address);
  if (retryAfterMs !== undefined) {
    response.setHeader('retry-after', String(Math.ceil(retryAfterMs / 1000)));
    answerJson(response, 429, { error: 'too many failed admin keys from this address: try again later' });
    return false;
  }
  const presented = bearerToken(request.headers.authorization);
  if (access.adminKey !== '' && presented !== undefined && timingSafeEqual(digestKey(presented), digestKey(access.adminKey))) return true;
  access.throttle.recordFailure(address);
  answerJson(response, 401, { error: 'send the admin key as "authorization: Bearer <key>"' });
  return false;
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

async function adminQuery(request: IncomingMessage, response: ServerResponse, run: NonNullable<AdminRoutes['query']>, metrics: Metrics): Promise<void> {
  const sql = await readBody(request);
  if (sql === undefined) return void answerJson(response, 413, { error: `the query is larger than ${MAX_QUERY_BYTES} bytes` });
  const gone = new AbortController();
  response.once('close', () => gone.abort());
  let answer: AdminQueryAnswer;
  try {
    answer = await run(sql, gone.signal);
  } catch (error) {
    const { outcome, status } = failureOf(error);
    metrics.adminQueries.inc({ outcome });
    if (error instanceof AdminQueryBusy) response.setHeader('retry-after', String(error.retryAfterSeconds));
    return void answerJson(response, status, { error: (error as Error).message.split('\n')[0] });
  }
  metrics.adminQueries.inc({ outcome: answer.truncated === false ? 'answered' : 'truncated' });
  answerJson(response, 200, answer);
}

/** The longest window a reconciliation or an overview reads: the stream's default age. */
const MAX_SINCE_MS = 7 * 86_400_000;

/** Answers `run` from the time the `since` parameter (default 1h, at most 7d) says, or 400 naming the parameter; 413 for a window too large to scan. */
async function sinceRoute(params: URLSearchParams, response: ServerResponse, run: (fromMs: number) => Promise<unknown>): Promise<void> {
  let sinceMs: number;
  try {
    sinceMs = duration(60_000)(params.get('since') ?? '1h');
    if (sinceMs > MAX_SINCE_MS) throw new Error('must be at most 7d');
  } catch (error) {
    return void answerJson(response, 400, { error: `since: ${(error as Error).message}` });
  }
  try {
    answerJson(response, 200, await run(Date.now() - sinceMs));
  } catch (error) {
    if (!(error instanceof WindowTooLarge)) throw error;
    answerJson(response, 413, { error: error.message });
  }
}

/** Answers a source's reconciliation, or 400 naming a bad parameter. */
function reconcileRoute(params: URLSearchParams, response: ServerResponse, run: NonNullable<AdminRoutes['reconcile']>): Promise<void> {
  const source = params.get('source') ?? '';
  try {
    token(source);
  } catch (error) {
    return Promise.resolve(answerJson(response, 400, { error: `source: a source id ${(error as Error).message}` }));
  }
  return sinceRoute(params, response, (fromMs) => run(source, fromMs));
}

/** The filters of a tail request: each of source, call, name, status and reason that it sets. */
export function tailFilter(params: URLSearchParams): TailFilter {
  const filter: { [field: string]: string } = {};
  for (const field of ['source', 'call', 'name', 'status', 'reason'] as const) {
    const value = params.get(field);
    if (value !== null && value !== '') filter[field] = field === 'status' ? value.toLowerCase() : value;
  }
  return filter;
}

/** Streams the tail as server-sent events until the caller goes away: `data:` lines, and `event: skipped` with how many were left out. */
function tailRoute(request: IncomingMessage, params: URLSearchParams, response: ServerResponse, hub: TailHub): void {
  const rate = Number(params.get('max_rate') ?? TAIL_DEFAULT_RATE);
  if (!Number.isInteger(rate) || rate < 1 || rate > TAIL_MAX_RATE) return void answerJson(response, 400, { error: `max_rate: a whole number of lines a second, 1 to ${TAIL_MAX_RATE}` });
  const send = (event: TailEvent) => response.write(isLine(event) ? `data: ${JSON.stringify(event.line)}\n\n` : `event: skipped\ndata: ${JSON.stringify({ skipped: event.skipped })}\n\n`);
  let stop: () => void;
  try {
    stop = hub.watch(
      tailFilter(params),
      rate,
      send,
      () => response.writableLength,
      () => response.end(),
    );
  } catch (error) {
    if (!(error instanceof TooManyWatchers)) throw error;
    response.setHeader('retry-after', '10');
    return void answerJson(response, 429, { error: error.message });
  }
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  response.write(': tailing\n\n');
  const keepalive = setInterval(() => response.write(': idle\n\n'), TAIL_KEEPALIVE_MS);
  request.socket.setTimeout(0);
  response.once('close', () => {
    clearInterval(keepalive);
    stop();
  });
}

/** The admin routes and their methods. */
const METHODS = { '/admin/query': 'POST', '/admin/reconcile': 'GET', '/admin/overview': 'GET', '/admin/tail': 'GET' } as const;

/** A path of an admin route. */
export type AdminPath = keyof typeof METHODS;

/** Whether `path` is an admin route's. */
export const isAdminPath = (path: string): path is AdminPath => Object.hasOwn(METHODS, path);

/** Serves an admin route: 401 or 429 without the key, then 404 when this process does not serve it, 405 for another method. */
export async function adminRoute(request: IncomingMessage, response: ServerResponse, path: AdminPath, routes: AdminRoutes, metrics: Metrics): Promise<void> {
  const { query, reconcile, overview, tail } = routes;
  // The key first: without it, not even which routes this process serves is told.
  if (!admitted(request, response, routes.access)) return;
  if ({ '/admin/query': query, '/admin/reconcile': reconcile, '/admin/overview': overview, '/admin/tail': tail }[path] === undefined) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  if (request.method !== METHODS[path]) {
    response.writeHead(405, { allow: METHODS[path] }).end();
    return;
  }
  const params = new URL(request.url ?? '/', 'http://admin').searchParams;
  if (query !== undefined && path === '/admin/query') await adminQuery(request, response, query, metrics);
  else if (reconcile !== undefined && path === '/admin/reconcile') await reconcileRoute(params, response, reconcile);
  else if (overview !== undefined && path === '/admin/overview') await sinceRoute(params, response, overview);
  else if (tail !== undefined) tailRoute(request, params, response, tail);
}
