/**
 * The client side of the admin routes: POST /admin/query (one SELECT sent to
 * a running process's HTTP endpoint with the admin key, its rows back) and
 * the GET routes (reconcile, tail). Used by `tributary query`, `reconcile`
 * and `tail`, and by the end-to-end tests and the benchmark.
 */

/** The endpoint refused or failed the query; the message says why. */
export class AdminQueryFailed extends Error {
  /** `what` names the call in the message: the query, or a route such as "reconcile". */
  constructor(
    readonly status: number,
    message: string,
    what = 'query',
  ) {
    super(`${what} failed (HTTP ${status}): ${message}`);
    this.name = 'AdminQueryFailed';
  }
}

/**
 * Calls `path` (with its query) of the admin routes at `address` with the
 * admin key; throws AdminQueryFailed, named after the route, when it is not
 * answered 200.
 */
async function adminFetch(address: string, adminKey: string, path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(`http://${address}${path}`, { ...init, headers: { authorization: `Bearer ${adminKey}`, ...init.headers } });
  if (response.ok) return response;
  const text = await response.text();
  let message = text.trim();
  try {
    message = (JSON.parse(text) as { error?: string }).error ?? message;
  } catch {
    // Not JSON: the text says it.
  }
  throw new AdminQueryFailed(response.status, message, path.slice('/admin/'.length).split('?')[0]);
}

/** Runs `sql` on the endpoint at `address` (host:port) and returns its rows. */
export async function postAdminQuery<T = unknown>(address: string, adminKey: string, sql: string): Promise<T[]> {
  const response = await adminFetch(address, adminKey, '/admin/query', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: sql });
  const body = (await response.json()) as { rows?: T[] };
  if (body.rows === undefined) throw new AdminQueryFailed(response.status, 'no rows');
  return body.rows;
}

/** GETs `path` (with its query) from the admin routes at `address`; throws AdminQueryFailed when it is not answered 200. */
export const getAdmin = (address: string, adminKey: string, path: string, signal?: AbortSignal): Promise<Response> => adminFetch(address, adminKey, path, { signal });
