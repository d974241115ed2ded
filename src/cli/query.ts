/**
 * `tributary query`: read-only SQL against the ClickHouse of a running
 * `serve`, through its admin endpoint (the embedded engine belongs to that
 * process). Prints a table for people or JSON lines (--json) for scripts.
 */
import { AdminQueryFailed, postAdminQuery } from '../http/admin-query-client';

/** What `query` needs. */
export interface QueryOptions {
  /** The HTTP endpoint, host:port. */
  readonly address: string;
  readonly adminKey: string;
  readonly json: boolean;
}

/** Runs `sql` and prints the rows; returns the exit code. */
export async function query(sql: string, options: QueryOptions): Promise<number> {
  let rows: unknown[];
  try {
    rows = await postAdminQuery(options.address, options.adminKey, sql);
  } catch (error) {
    if (!(error instanceof AdminQueryFailed)) throw error;
    console.error(error.message);
    return 1;
  }
  if (options.json) for (const row of rows) console.log(JSON.stringify(row));
  else console.table(rows);
  return 0;
}
