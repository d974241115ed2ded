/**
 * Read-only SQL for administrators, on a ClickHouse session of its own so it
 * never waits behind, or holds up, the sink's inserts (chDB runs one
 * statement at a time per session; several sessions share the data folder).
 * A query runs only if ClickHouse's own parser reads it as exactly one
 * SELECT whose every function and table the guard allows
 * (admin-query-guard.ts). It then runs read-only and bounded: rows, bytes,
 * memory, time and one thread; one at a time, with a bounded queue; a caller
 * that goes away has its query killed. docs/decisions.md says why.
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../config/settings';
import { InTurn } from '../lifecycle/in-turn';
import { astRefusals, FunctionPolicy, parseAst, type FunctionRow } from './admin-query-guard';
import { createClickHouse, SETTINGS } from './clickhouse-client';

/** Bounds of admin queries. */
export interface AdminQueryLimits {
  /** Most rows an answer holds; more are cut. */
  readonly maxRows: number;
  /** Most bytes of JSON an answer's rows hold; more are cut. */
  readonly maxBytes: number;
  /** Longest a query runs before the engine stops it, in seconds. */
  readonly maxSeconds: number;
  /** Most memory one query may use, in bytes. */
  readonly maxMemoryBytes: number;
  /** Most queries waiting for their turn; more are refused as busy. */
  readonly maxQueued: number;
}

/** The bounds the configuration sets. */
export const adminQueryLimits = (config: Config): AdminQueryLimits => ({
  maxRows: config.adminQueryMaxRows,
  maxBytes: config.adminQueryMaxBytes,
  maxSeconds: Math.ceil(config.adminQueryTimeoutMs / 1000),
  maxMemoryBytes: config.adminQueryMaxMemory,
  maxQueued: config.adminQueryQueue,
});

/** An admin query's answer: its rows, and what cut them short, if anything. */
export interface AdminQueryAnswer {
  readonly rows: unknown[];
  /** `rows` or `bytes` when the answer was cut at that bound; false when it is whole. */
  readonly truncated: false | 'rows' | 'bytes';
}

/** A query refused before it ran, with the reason. */
export class AdminQueryRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminQueryRefused';
  }
}

/** Too many queries are running or waiting; try again after `retryAfterSeconds`. */
export class AdminQueryBusy extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`too many admin queries are running or waiting; retry after ${retryAfterSeconds}s`);
    this.name = 'AdminQueryBusy';
  }
}

/** The service is stopping, or the caller went away: the query did not run to its end. */
export class AdminQueryStopped extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminQueryStopped';
  }
}

const SELECT_STATEMENT = /^(SELECT|WITH)\b/;
/** Marks a running admin query's text, so that KILL QUERY finds it. */
const MARK = 'tributary-admin-query';

/** Runs admin queries one at a time on a session of their own. */
export class AdminQueries {
  private policy: FunctionPolicy | undefined;
  private readonly turns = new InTurn();
  /** Queries running or waiting. */
  private pending = 0;
  private readonly running = new Set<string>();
  private closed = false;

  /**
   * `client` is the admin queries' own session, whose current database is
   * `database`; `control` is another session, which kills them.
   */
  constructor(
    private readonly client: ClickHouseClient,
    private readonly control: ClickHouseClient,
    private readonly database: string,
    private readonly limits: AdminQueryLimits,
  ) {}

  /** Opens the admin queries' own session of the configured ClickHouse, beside `control` (the sink's). */
  static async open(config: Config, control: ClickHouseClient, limits = adminQueryLimits(config)): Promise<AdminQueries> {
    const client = createClickHouse(config, config.clickhouseDatabase);
    if (config.clickhouseUrl === '') await client.command({ query: `USE ${config.clickhouseDatabase}` });
    return new AdminQueries(client, control, config.clickhouseDatabase, limits);
  }

  /**
   * Runs `sql` when its turn comes, within the limits. Throws
   * AdminQueryRefused for anything but one allowed SELECT, AdminQueryBusy
   * when the queue is full, AdminQueryStopped when `signal` aborts it or
   * the service stops, and ClickHouse's error when the query fails.
   */
  async run(sql: string, signal?: AbortSignal): Promise<AdminQueryAnswer> {
    if (this.closed) throw new AdminQueryStopped('the service stopped');
    // One runs, and at most maxQueued wait.
    if (this.pending > this.limits.maxQueued) throw new AdminQueryBusy(this.limits.maxSeconds);
    this.pending++;
    return this.turns.run(() => this.runNow(sql, signal)).finally(() => this.pending--);
  }

  /** How many queries the engine runs now (0 or 1). */
  get runningCount(): number {
    return this.running.size;
  }

  /** Kills what runs, refuses what waits, and closes the session. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running].map((id) => this.kill(id)));
    await this.turns.idle();
    await this.client.close();
  }

  private async runNow(sql: string, signal: AbortSignal | undefined): Promise<AdminQueryAnswer> {
    const gone = () => signal?.aborted === true;
    const stopped = () => new AdminQueryStopped(this.closed ? 'the service stopped' : 'the caller went away');
    // Marked as running from here on, so that a stop or a hang-up while it is checked still finds and kills it.
    const id = randomUUID();
    const onAbort = () => void this.kill(id);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.running.add(id);
    try {
      if (this.closed || gone()) throw stopped();
      const statement = await this.check(sql);
      if (this.closed || gone()) throw stopped();
      const { maxRows, maxBytes, maxSeconds, maxMemoryBytes } = this.limits;
      const bounded =
        `/* ${MARK} ${id} */ SELECT * FROM (${statement}) LIMIT ${maxRows + 1} ` +
        `SETTINGS readonly = 1, max_execution_time = ${maxSeconds}, max_memory_usage = ${maxMemoryBytes}, ` +
        `max_result_bytes = ${maxBytes + 1}, result_overflow_mode = 'break', max_threads = 1`;
      const text = await (await this.client.query({ query: bounded, format: 'JSONEachRow', clickhouse_settings: SETTINGS })).text();
      return cut(text, maxRows, maxBytes);
    } catch (error) {
      if (this.closed || gone()) throw stopped();
      throw error;
    } finally {
      this.running.delete(id);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The statement as ClickHouse's parser reads it, once the guard allows it; throws AdminQueryRefused otherwise. */
  private async check(sql: string): Promise<string> {
    let statement: string;
    try {
      const parsed = await this.client.query({ query: 'SELECT formatQuerySingleLine({sql:String}) AS statement', query_params: { sql }, format: 'JSONEachRow', clickhouse_settings: SETTINGS });
      [{ statement }] = await parsed.json<{ statement: string }>();
    } catch (error) {
      throw notOneStatement(error);
    }
    if (!SELECT_STATEMENT.test(statement)) throw new AdminQueryRefused('only SELECT statements may run');
    this.policy ??= new FunctionPolicy(
      await (
        await this.client.query({ query: 'SELECT name, categories, alias_to, case_insensitive, is_aggregate FROM system.functions', format: 'JSONEachRow', clickhouse_settings: SETTINGS })
      ).json<FunctionRow>(),
    );
    let ast: string;
    try {
      ast = await (await this.client.query({ query: `EXPLAIN AST ${statement}`, format: 'TabSeparatedRaw', clickhouse_settings: SETTINGS })).text();
    } catch (error) {
      throw notOneStatement(error);
    }
    const refusals = astRefusals(parseAst(ast), this.policy, this.database);
    if (refusals.length > 0) throw new AdminQueryRefused(refusals.join('; '));
    return statement;
  }

  /** Asks the engine to stop the query marked `id`; a failure to ask is no failure of the caller's. */
  private async kill(id: string): Promise<void> {
    try {
      await this.control.command({ query: `KILL QUERY WHERE query LIKE concat('%', '${MARK} ', '${id}', '%') ASYNC`, clickhouse_settings: SETTINGS });
    } catch {
      // The query ends at its time bound all the same.
    }
  }
}

const notOneStatement = (error: unknown) => new AdminQueryRefused(`not one valid statement: ${(error as Error).message.split('\n')[0]}`);

/** The rows of JSONEachRow `text`, cut at `maxRows` rows or `maxBytes` bytes of JSON, whichever comes first. */
export function cut(text: string, maxRows: number, maxBytes: number): AdminQueryAnswer {
  const rows: unknown[] = [];
  let bytes = 0;
  for (let start = 0; start < text.length;) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end === -1 ? text.length : end);
    start = end === -1 ? text.length : end + 1;
    if (line === '') continue;
    if (rows.length === maxRows) return { rows, truncated: 'rows' };
    bytes += Buffer.byteLength(line) + 1;
    if (bytes > maxBytes) return { rows, truncated: 'bytes' };
    rows.push(JSON.parse(line));
  }
  return { rows, truncated: false };
}
