/**
 * The decision a consent record makes, as the ledger keeps it: its action,
 * its category (`general` when it names none), its valid_until, where it
 * was collected, and when it was made (the record's timestamp as the
 * gateway corrected it, which the stream's Envelope carries, so the
 * gateway and the identity stage read the same time). Pure.
 */
import { ConsentAction, type Record } from '../gen/tributary/ingest/v1/record';
import { GENERAL_CATEGORY, type Decision } from './consent';

/** The decision of `record`, made at `decidedAt`; undefined when it is not a consent record with an action. */
export function decisionOf(record: Record, decidedAt: Date): Decision | undefined {
  if (record.kind?.$case !== 'event' || record.kind.value.call?.$case !== 'consent') return undefined;
  const consent = record.kind.value.call.value;
  if (consent.action !== ConsentAction.ACCEPT && consent.action !== ConsentAction.REJECT) return undefined;
  return {
    category: consent.category === '' ? GENERAL_CATEGORY : consent.category,
    accept: consent.action === ConsentAction.ACCEPT,
    decidedAt: decidedAt.getTime(),
    validUntil: consent.validUntil?.getTime() ?? 0,
    source: consent.source,
  };
}
