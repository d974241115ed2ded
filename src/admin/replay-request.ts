/**
 * The rules of a StartReplayRequest: a start by sequence or by time (a
 * time not in the future), an end not before the start, only sources the
 * installation knows, only calls there are, and event names that are
 * labels. A request that breaks any is refused whole with INVALID_ARGUMENT
 * naming every field at fault. The window's end is bounded by the stream's
 * last sequence when the replay is asked for, so a replay never runs into
 * live traffic.
 */
import { checkLabel, type Violations } from '../contract/field-checks';
import { IngestError } from '../errors/ingest-error';
import type { StartReplayRequest } from '../gen/tributary/admin/v1/admin_service';
import type { ReplaySpec } from '../tasks/task-store';

/** The calls a replay may be narrowed to: the record calls, and `product` for product records. */
export const REPLAY_CALLS: readonly string[] = ['track', 'identify', 'alias', 'group', 'consent', 'page', 'product'];
/** Most sources, calls or names in one request. */
const MAX_FILTERS = 100;
/** Longest event name. */
const MAX_NAME_LENGTH = 256;

/** Checks the list `field` of a request: at most {@link MAX_FILTERS} values, each checked by `check` (given its item's path), into `out`. */
export function checkListed(values: readonly string[], field: string, check: (value: string, item: string) => void, out: Violations): void {
  if (values.length > MAX_FILTERS) out.push({ field, reason: 'TOO_MANY', message: `at most ${MAX_FILTERS} ${field} per request; it has ${values.length}.` });
  values.slice(0, MAX_FILTERS).forEach((value, i) => check(value, `${field}[${i}]`));
}

/** Refuses a `what` request (replay, redrive) with INVALID_ARGUMENT naming every field at fault, when `out` holds any. */
export function refuseBroken(what: string, out: Violations): void {
  if (out.length === 0) return;
  throw new IngestError('INVALID_ADMIN_REQUEST', `the ${what} request breaks ${out.length} rule(s): ${out[0].message}`, {
    violations: out.map((v) => ({ field: v.field, description: `${v.reason}: ${v.message}` })),
  });
}

/**
 * Checks `request`; `known` says whether a source id is one the installation
 * knows, `lastSeq` is the stream's last sequence now and `nowMs` the time.
 * Returns the replay's window.
 */
export function checkReplayRequest(request: StartReplayRequest, known: (source: string) => boolean, lastSeq: number, nowMs: number): ReplaySpec {
  const out: Violations = [];
  const { from, to } = request;
  if (from === undefined) out.push({ field: 'from', reason: 'REQUIRED', message: 'from_sequence or from_time must say where the window starts.' });
  if (from?.$case === 'fromTime' && from.value.getTime() > nowMs) out.push({ field: 'from_time', reason: 'IN_FUTURE', message: 'from_time is later than now.' });
  if (from?.$case === 'fromSequence' && to?.$case === 'toSequence' && to.value < from.value) {
    out.push({ field: 'to_sequence', reason: 'BEFORE_START', message: 'to_sequence is before from_sequence.' });
  }
  if (from?.$case === 'fromTime' && to?.$case === 'toTime' && to.value.getTime() < from.value.getTime()) {
    out.push({ field: 'to_time', reason: 'BEFORE_START', message: 'to_time is before from_time.' });
  }
  const listed = (values: readonly string[], field: string, check: (value: string, item: string) => void) => checkListed(values, field, check, out);
  listed(request.sourceIds, 'source_ids', (source, item) => {
    if (!known(source)) out.push({ field: item, reason: 'UNKNOWN_SOURCE', message: `${item} is not a source this installation knows.` });
  });
  listed(request.calls, 'calls', (call, item) => {
    if (!REPLAY_CALLS.includes(call)) out.push({ field: item, reason: 'UNKNOWN_CALL', message: `${item} must be one of ${REPLAY_CALLS.join(', ')}.` });
  });
  listed(request.names, 'names', (name, item) => checkLabel(name, item, 'for an event name', MAX_NAME_LENGTH, out));
  if (request.names.length > 0 && request.calls.some((call) => call !== 'track')) {
    out.push({ field: 'names', reason: 'TRACK_ONLY', message: 'names select track events: with names, calls may only hold track.' });
  }
  refuseBroken('replay', out);
  const toSeq = to?.$case === 'toSequence' ? Math.min(to.value, lastSeq) : lastSeq;
  return {
    ...(from?.$case === 'fromSequence' ? { fromSeq: from.value } : { fromTime: (from?.value as Date).toISOString() }),
    toSeq,
    ...(to?.$case === 'toTime' && { toTime: to.value.toISOString() }),
    sources: [...new Set(request.sourceIds)].sort(),
    calls: [...new Set(request.calls)].sort(),
    names: [...new Set(request.names)].sort(),
    ...(request.includeBlocked && { includeBlocked: true }),
  };
}
