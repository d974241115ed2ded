/**
 * The client side of POST /admin/query: one SELECT sent to a running
 * process's HTTP endpoint with the admin key, its rows back. Used by
 * `tributary query`, and by the end-to-end tests and the benchmark.
 */

/** The endpoint refused or failed the query; the message says why. */
export class AdminQueryFailed extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(`query failed (HTTP ${status}): ${message}`);
    this.name = 'AdminQueryFailed';
  }
}

/** Runs `sql` on the endpoint at `address` (host:port) and returns its rows. */
export async function postAdminQuery<T = unknown>(address: string, adminKey: string, sql: string): Promise<T[]> {
  const response = await fetch(`http://${address}/admin/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'text/plain' },
    body: sql,
  });
  const body = (await response.json()) as { rows?: T[]; error?: string };
  if (!response.ok || body.rows === undefined) throw new AdminQueryFailed(response.status, body.error ?? 'no rows');
  return body.rows;
}
