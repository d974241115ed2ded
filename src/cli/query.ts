/**
 * `tributary query`: read-only SQL against the ClickHouse of a running
 * `serve`, through its admin endpoint (the embedded engine belongs to that
 * process). Prints a table for people or JSON lines (--json) for scripts.
 */
import { postAdminQuery } from '../http/admin-query-client';

/** What `query` needs. */
export interface QueryOptions {
  /** The HTTP endpoint, host:port. */
  readonly address: string;
  readonly adminKey: string;
  readonly json: boolean;
}

/** Runs `sql` and prints the rows; throws AdminQueryFailed when the endpoint refuses or fails it. */
export async function query(sql: string, options: QueryOptions): Promise<void> {
  const rows = await postAdminQuery(options.address, options.adminKey, sql);
  if (options.json) for (const row of rows) console.log(JSON.stringify(row));
  else console.table(rows);
}
