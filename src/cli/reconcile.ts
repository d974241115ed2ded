/**
 * `tributary reconcile`: a source's equations minute by minute, from a
 * running sink's admin endpoint (docs/accounting.md). Exits 1 when one does
 * not hold, naming the accepted records that are nowhere.
 */
import type { MinuteBalance, Reconciliation } from '../accounting/reconcile';
import { getAdmin } from '../http/admin-query-client';

/** What `reconcile` needs. */
export interface ReconcileOptions {
  /** The HTTP endpoint, host:port. */
  readonly address: string;
  readonly adminKey: string;
  readonly source: string;
  /** How far back, such as "1h". */
  readonly since: string;
  readonly json: boolean;
}

const mark = (holds: boolean): string => (holds ? 'ok' : 'DOES NOT HOLD');

/** One minute as two equations and, when some are missing, their event ids. */
export function minuteLines(m: MinuteBalance): string[] {
  const lines = [
    `${m.minute.slice(0, 16)}Z  received ${m.received} = accepted ${m.accepted} + duplicate ${m.duplicate} + rejected ${m.rejected} + dropped ${m.dropped}  ${mark(m.countsHold)}`,
    `${' '.repeat(18)}accepted ${m.accepted} = stored ${m.stored} + dead-lettered ${m.deadLettered} + pending ${m.pending}  ${mark(m.recordsHold)}`,
  ];
  if (m.missing.length > 0) lines.push(`${' '.repeat(18)}missing (accepted, neither stored, dead-lettered nor pending): ${m.missing.join(', ')}`);
  return lines;
}

/** Prints the reconciliation; resolves with the exit code: 0 when every equation holds, 1 otherwise. */
export async function reconcileSource(options: ReconcileOptions): Promise<number> {
  const params = new URLSearchParams({ source: options.source, since: options.since });
  const report = (await (await getAdmin(options.address, options.adminKey, `/admin/reconcile?${params}`)).json()) as Reconciliation;
  if (options.json) {
    console.log(JSON.stringify(report));
  } else {
    console.log(`source ${report.source} since ${report.from}`);
    for (const minute of report.minutes) console.log(minuteLines(minute).join('\n'));
    if (report.notice !== undefined) console.log(`note: ${report.notice}`);
    const failing = report.minutes.filter((m) => !m.countsHold || !m.recordsHold).length;
    console.log(report.holds ? `every equation holds (${report.minutes.length} minutes)` : `${failing} of ${report.minutes.length} minutes do not hold`);
  }
  return report.holds ? 0 : 1;
}
