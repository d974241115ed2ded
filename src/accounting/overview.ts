/**
 * What the console shows besides the tail (src/console/): every source's
 * counts per minute over a window (the gateways' and the stored records',
 * as accounting_minutes has them, read over the window alone), the newest rejection
 * samples with their violations, each consuming stage's backlog, and the
 * newest privacy regulations. Fixed queries of the accounting's own; the
 * console never sends SQL.
 */
import { backlog } from '../stages/consumer-loop';
import { rows, type AccountingReads } from './reconcile';

/** One source's count of one measure in one minute. */
export interface MinuteCount {
  readonly source_id: string;
  /** Epoch seconds. */
  readonly minute: number;
  readonly stage: string;
  readonly measure: string;
  readonly count: number;
}

/** The console's overview. */
export interface Overview {
  readonly counts: readonly MinuteCount[];
  readonly rejections: readonly { [column: string]: unknown }[];
  /** Messages each stage has not yet acked. */
  readonly lag: { readonly sink: number; readonly identity: number; readonly accounting: number };
  readonly regulations: readonly { [column: string]: unknown }[];
}

/** Newest samples and regulations shown. */
const NEWEST = 50;

/** The overview from `fromMs` on. */
export async function overview(deps: AccountingReads, fromMs: number): Promise<Overview> {
  const db = deps.database;
  const from = Math.floor(fromMs / 1000);
  // The parts of accounting_minutes, each read over the window alone (the view reads whole tables): stored records
  // counted by their distinct stream sequences, so a row written twice before a merge counts once.
  const counts = await rows<MinuteCount>(
    deps,
    `SELECT source_id, toUnixTimestamp(minute) AS minute, stage, measure, toUInt64(sum(count)) AS count FROM (
       SELECT source_id, minute, stage, measure, count FROM ${db}.accounting FINAL WHERE minute >= toDateTime({from:UInt32})
       UNION ALL
       SELECT source_id, toStartOfMinute(received_at) AS minute, 'sink' AS stage, 'stored' AS measure, uniqExact(stream_seq) AS count
       FROM (SELECT source_id, received_at, stream_seq FROM ${db}.events WHERE received_at >= toDateTime64({from:UInt32}, 3)
             UNION ALL SELECT source_id, received_at, stream_seq FROM ${db}.products WHERE received_at >= toDateTime64({from:UInt32}, 3))
       GROUP BY source_id, minute
     ) GROUP BY source_id, minute, stage, measure ORDER BY source_id, minute`,
    { from },
  );
  const rejections = await rows<{ [column: string]: unknown }>(
    deps,
    `SELECT source_id, reason, received_at, event_id, transport, ip, user_agent, record, violations FROM ${db}.rejections FINAL
     WHERE minute >= toDateTime({from:UInt32}) ORDER BY received_at DESC LIMIT ${NEWEST}`,
    { from },
  );
  const regulations = await rows<{ [column: string]: unknown }>(
    deps,
    `SELECT regulation_id, type, status, covered_ids, stream_messages_erased, created_at, finished_at, error FROM ${db}.regulations FINAL ORDER BY created_at DESC LIMIT ${NEWEST}`,
    {},
  );
  const lag = {
    sink: await backlog(deps.jsm, deps.stream, [deps.sinkConsumer]),
    identity: await backlog(deps.jsm, deps.stream, deps.identityConsumers),
    accounting: await backlog(deps.jsm, deps.accountingStream, [deps.accountingConsumer]),
  };
  return { counts, rejections, lag, regulations };
}
