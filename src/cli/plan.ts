/**
 * `tributary plan check OLD NEW` and `tributary plan infer`
 * (docs/tracking-plans.md). check compares two plan files and exits 1 when
 * the new one breaks records the old one passed, printing each change, as
 * `buf breaking` does for the protobuf contract; it reads files only. infer
 * counts what a source sent through a running sink's admin endpoint and
 * prints a draft plan to start from.
 */
import { readFileSync } from 'node:fs';
import { duration, token } from '../config/parsers';
import { postAdminQuery } from '../http/admin-query-client';
import { inferPlan, type PayloadCount, type PropertyCount } from '../plan/infer-plan';
import { parsePlan, PlanFileError } from '../plan/parse-plan';
import { breakingChanges } from '../plan/plan-diff';
import type { Plan } from '../plan/plan';

/** The plan file at `path`; prints its problems and answers undefined when it does not parse. */
function readPlan(path: string): Plan | undefined {
  try {
    return parsePlan(path, readFileSync(path, 'utf8'));
  } catch (error) {
    const problems = error instanceof PlanFileError ? error.problems : [(error as Error).message];
    for (const problem of problems) console.error(`${path}: ${problem}`);
    return undefined;
  }
}

/** Prints the breaking changes from the plan at `before` to the plan at `after`; returns the exit code: 0 compatible, 1 breaking, 2 a file that does not parse. */
export function checkPlanFiles(before: string, after: string): number {
  const [old, next] = [readPlan(before), readPlan(after)];
  if (old === undefined || next === undefined) return 2;
  const changes = breakingChanges(old, next);
  for (const change of changes) console.log(`BREAKING ${change}`);
  console.log(
    changes.length === 0
      ? `compatible: version ${next.version} passes every record version ${old.version} passes`
      : `${changes.length} breaking change${changes.length === 1 ? '' : 's'} from version ${old.version} to ${next.version}`,
  );
  return changes.length === 0 ? 0 : 1;
}

/** What `plan infer` needs. */
export interface InferOptions {
  /** The sink's HTTP endpoint, host:port. */
  readonly address: string;
  readonly adminKey: string;
  readonly source: string;
  /** How far back, such as "7d". */
  readonly since: string;
}

/** A string literal of ClickHouse SQL. */
const literal = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Prints a plan drafted from what `source` sent since `since`. */
export async function inferSourcePlan(options: InferOptions): Promise<void> {
  // A source id is a token (as the sources file holds it): checked before it goes into SQL, where it is quoted all the same.
  const source = token(options.source);
  const fromMs = Date.now() - duration(60_000)(options.since);
  const where = `source_id = ${literal(source)} AND received_at >= fromUnixTimestamp64Milli(${fromMs}) AND call IN ('track', 'page', 'identify', 'group')`;
  const event = `if(call = 'track', name, '') AS event`;
  const payloads = await postAdminQuery<{ call: string; event: string; n: string }>(
    options.address,
    options.adminKey,
    `SELECT call, ${event}, count() AS n FROM events FINAL WHERE ${where} GROUP BY call, event`,
  );
  const bag = "multiIf(call = 'identify', user_attributes, call = 'group', account_attributes, properties)";
  const properties = await postAdminQuery<{ call: string; event: string; key: string; type: string; n: string }>(
    options.address,
    options.adminKey,
    `SELECT call, ${event}, kv.1 AS key, toString(JSONType(kv.2)) AS type, count() AS n FROM events FINAL ARRAY JOIN JSONExtractKeysAndValuesRaw(${bag}) AS kv WHERE ${where} GROUP BY call, event, key, type`,
  );
  const since = new Date(fromMs).toISOString();
  const draft = inferPlan(
    source,
    since,
    `draft-${new Date().toISOString().slice(0, 10)}`,
    properties.map((row): PropertyCount => ({ call: row.call, name: row.event, key: row.key, type: row.type, n: Number(row.n) })),
    payloads.map((row): PayloadCount => ({ call: row.call, name: row.event, n: Number(row.n) })),
  );
  console.log(JSON.stringify(draft, null, 2));
}
