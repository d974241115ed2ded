/**
 * `tributary query`: read-only SQL against the ClickHouse of a running
 * `serve`, through its admin endpoint (the embedded engine belongs to that
 * process). Prints a table for people or JSON lines (--json) for scripts.
 */

/** What `query` needs. */
export interface QueryOptions {
  /** The HTTP endpoint, host:port. */
  readonly address: string;
  readonly adminKey: string;
  readonly json: boolean;
}

/** Runs `sql` and prints the rows; returns the exit code. */
export async function query(sql: string, options: QueryOptions): Promise<number> {
  const response = await fetch(`http://${options.address}/admin/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.adminKey}`, 'content-type': 'text/plain' },
    body: sql,
  });
  const body = (await response.json()) as { rows?: unknown[]; error?: string };
  if (!response.ok || body.rows === undefined) {
    console.error(`query failed (HTTP ${response.status}): ${body.error ?? 'no rows'}`);
    return 1;
  }
  if (options.json) for (const row of body.rows) console.log(JSON.stringify(row));
  else console.table(body.rows);
  return 0;
}
