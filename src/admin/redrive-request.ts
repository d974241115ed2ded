/**
 * The rules of a RedriveDeadLettersRequest: only reasons a redrive mends, source
 * ids that are labels (a source since removed may still have dead letters),
 * a window whose end is not before its start, and a rate within bounds (0
 * is the default). A request that breaks any is refused whole with
 * INVALID_ARGUMENT naming every field at fault.
 */
import { checkLabel, type Violations } from '../contract/field-checks';
import type { RedriveDeadLettersRequest } from '../gen/tributary/admin/v1/admin_service';
import { REDRIVABLE_REASONS } from '../stream/dead-letter-stream';
import type { RedriveSpec } from '../tasks/task-store';
import { checkListed, refuseBroken } from './replay-request';

/** Dead letters a second when a request names no rate. */
export const DEFAULT_REDRIVE_RATE = 1000;
/** Most dead letters a second a request may ask for. */
export const MAX_REDRIVE_RATE = 100_000;
/** Longest source id. */
const MAX_SOURCE_LENGTH = 256;

/** Checks `request`; returns the redrive's selection. */
export function checkRedriveRequest(request: RedriveDeadLettersRequest): RedriveSpec {
  const out: Violations = [];
  checkListed(
    request.reasons,
    'reasons',
    (reason, item) => {
      if (!(REDRIVABLE_REASONS as readonly string[]).includes(reason)) {
        out.push({
          field: item,
          reason: 'NOT_REDRIVABLE',
          message: `${item} must be one of ${REDRIVABLE_REASONS.join(', ')} (a message that is not a Tributary record fails however often it is sent).`,
        });
      }
    },
    out,
  );
  checkListed(request.sourceIds, 'source_ids', (source, item) => checkLabel(source, item, 'for a source id', MAX_SOURCE_LENGTH, out), out);
  const { fromTime, toTime } = request;
  if (fromTime !== undefined && toTime !== undefined && toTime.getTime() < fromTime.getTime()) out.push({ field: 'to_time', reason: 'BEFORE_START', message: 'to_time is before from_time.' });
  if (request.rate > MAX_REDRIVE_RATE) out.push({ field: 'rate', reason: 'TOO_FAST', message: `rate is at most ${MAX_REDRIVE_RATE} dead letters a second.` });
  refuseBroken('redrive', out);
  return {
    reasons: [...new Set(request.reasons)].sort(),
    sources: [...new Set(request.sourceIds)].sort(),
    ...(fromTime !== undefined && { fromTime: fromTime.toISOString() }),
    ...(toTime !== undefined && { toTime: toTime.toISOString() }),
    rate: request.rate === 0 ? DEFAULT_REDRIVE_RATE : request.rate,
  };
}
