/**
 * `tributary deadletters`: what the stages set aside, and its redrive
 * (docs/operations.md, "Redrive"). `list` and `show` read the dead_letters
 * table through a running serve's admin endpoint (its read-only SQL, with
 * the admin key); `redrive` asks a gateway's AdminService for a redrive
 * task and follows it to its end, as `tributary replay` follows a replay.
 */
import { Envelope } from '../gen/tributary/ingest/v1/envelope';
import type { RedriveDeadLettersRequest } from '../gen/tributary/admin/v1/admin_service';
import { postAdminQuery } from '../http/admin-query-client';
import { sqlString } from '../storage/id-lists';
import type { AdminConnection } from './admin-channel';
import type { QueryOptions } from './query';
import { followTask, pointInTime } from './replay';

/** Which dead letters `list` shows. */
export interface LetterListFlags {
  readonly reason: string[];
  readonly source: string[];
  /** Those redriven already too. */
  readonly all: boolean;
  readonly limit: number;
}

/** The SELECT of `list`: the newest dead letters first, of `flags`' reasons and sources, only those not redriven unless `all`. */
export function letterListSql(database: string, flags: LetterListFlags): string {
  const where = [
    ...(flags.all ? [] : ["redriven_by = ''"]),
    ...(flags.reason.length > 0 ? [`reason IN (${flags.reason.map(sqlString).join(', ')})`] : []),
    ...(flags.source.length > 0 ? [`source_id IN (${flags.source.map(sqlString).join(', ')})`] : []),
  ];
  return `SELECT stream_seq, source_id, reason, failed_at, redriven_by, last_redrive, substring(error, 1, 160) AS error
    FROM ${database}.dead_letters FINAL${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY stream_seq DESC LIMIT ${Math.max(1, Math.trunc(flags.limit))}`;
}

/** Prints the dead letters `flags` choose. */
export async function listDeadLetters(flags: LetterListFlags, options: QueryOptions & { readonly database: string }): Promise<void> {
  const rows = await postAdminQuery(options.address, options.adminKey, letterListSql(options.database, flags));
  if (options.json) for (const row of rows) console.log(JSON.stringify(row));
  else if (rows.length === 0) console.log('no dead letters');
  else console.table(rows);
}

/** Prints the dead letter of the record at stream sequence `seq`, its record decoded when it decodes. */
export async function showDeadLetter(seq: string, options: QueryOptions & { readonly database: string }): Promise<number> {
  if (!/^\d+$/.test(seq)) throw new Error(`a dead letter is named by its record's stream sequence (digits); "${seq}" is not one`);
  const [row] = await postAdminQuery(options.address, options.adminKey, `SELECT * FROM ${options.database}.dead_letters FINAL WHERE stream_seq = ${seq}`);
  if (row === undefined) {
    console.error(`no dead letter has the stream sequence ${seq}`);
    return 1;
  }
  const { payload_base64: payload, ...letter } = row as { payload_base64: string; [column: string]: unknown };
  let record: unknown;
  try {
    record = Envelope.toJSON(Envelope.decode(Buffer.from(payload, 'base64')));
  } catch (error) {
    record = `(does not decode: ${(error as Error).message}; ${Buffer.from(payload, 'base64').length} bytes)`;
  }
  console.log(JSON.stringify({ ...letter, envelope: record }, null, options.json ? undefined : 2));
  return 0;
}

/** What `redrive` sends through. */
export interface RedriveFlags {
  readonly reason: string[];
  readonly source: string[];
  readonly from?: string;
  readonly to?: string;
  readonly rate?: string;
}

/** The RedriveDeadLetters request of `flags`, durations counted back from `nowMs`; throws naming the flag that does not parse. */
export function redriveRequest(flags: RedriveFlags, nowMs: number): RedriveDeadLettersRequest {
  // No --rate is the server's default (0 in the request).
  const rate = flags.rate === undefined ? 0 : Number(flags.rate);
  if (flags.rate !== undefined && !(Number.isInteger(rate) && rate >= 1)) throw new Error(`--rate must be a whole number of dead letters a second, 1 or more; it is "${flags.rate}"`);
  return {
    reasons: flags.reason,
    sourceIds: flags.source,
    fromTime: flags.from === undefined ? undefined : pointInTime(flags.from, nowMs, '--from'),
    toTime: flags.to === undefined ? undefined : pointInTime(flags.to, nowMs, '--to'),
    rate,
  };
}

/** Starts a redrive and follows it to its end; returns the exit code (0 when it finished, 1 otherwise). */
export function startRedrive(flags: RedriveFlags, connection: AdminConnection): Promise<number> {
  const request = redriveRequest(flags, Date.now());
  return followTask('redrive', connection, (admin) => admin.call((metadata, callback) => admin.client.redriveDeadLetters(request, metadata, callback)));
}
