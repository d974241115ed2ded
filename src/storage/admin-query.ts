/**
 * Read-only SQL for administrators, safe to run on the sink's own session
 * (chDB keeps per-statement settings for the session, and runs several
 * statements in one call). ClickHouse's own parser turns the text, passed as
 * a parameter, into exactly one statement; only SELECT may run, and never
 * with a SETTINGS clause of its own (EXPLAIN AST shows it as a Set node),
 * inside a wrapper whose query-level settings make it read-only and bounded.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { SETTINGS } from './clickhouse-client';

/** Bounds of one admin query. */
export interface AdminQueryLimits {
  readonly maxRows: number;
  readonly maxSeconds: number;
}

/** The default bounds. */
export const ADMIN_QUERY_LIMITS: AdminQueryLimits = Object.freeze({ maxRows: 10_000, maxSeconds: 30 });

/** A query refused before it ran, with the reason. */
export class AdminQueryRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminQueryRefused';
  }
}

const SELECT_STATEMENT = /^(SELECT|WITH)\b/;
const SETTINGS_NODE = /^Set\b/;

/** Runs `sql` read-only within `limits`; throws AdminQueryRefused for anything but one plain SELECT. */
export async function runAdminQuery(client: ClickHouseClient, sql: string, limits: AdminQueryLimits = ADMIN_QUERY_LIMITS): Promise<unknown[]> {
  let statement: string;
  try {
    const parsed = await client.query({ query: 'SELECT formatQuerySingleLine({sql:String}) AS statement', query_params: { sql }, format: 'JSONEachRow', clickhouse_settings: SETTINGS });
    [{ statement }] = await parsed.json<{ statement: string }>();
  } catch (error) {
    throw new AdminQueryRefused(`not one valid statement: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!SELECT_STATEMENT.test(statement)) throw new AdminQueryRefused('only SELECT statements may run');
  const ast = await (await client.query({ query: `EXPLAIN AST ${statement}`, format: 'TabSeparatedRaw', clickhouse_settings: SETTINGS })).text();
  if (ast.split('\n').some((line) => SETTINGS_NODE.test(line.replace(/^"|"$/g, '').trim()))) {
    throw new AdminQueryRefused('a query may not carry its own SETTINGS clause');
  }
  const bounded = `SELECT * FROM (${statement}) SETTINGS max_result_rows = ${limits.maxRows}, result_overflow_mode = 'throw', max_execution_time = ${limits.maxSeconds}, readonly = 1`;
  return (await client.query({ query: bounded, format: 'JSONEachRow', clickhouse_settings: SETTINGS })).json();
}
