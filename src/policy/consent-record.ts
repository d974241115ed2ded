/**
 * The decision a consent record makes, as the ledger keeps it: its action,
 * its category (`general` when it names none), its valid_until, where it
 * was collected, and when it was made (the record's timestamp as the
 * gateway corrected it, which the stream's Envelope carries, so the
 * gateway and the identity stage read the same time). Both times are held
 * to the span a ClickHouse DateTime64 column stores (1900 to 2299), so the
 * ledger and consent_current order the same values, and no decision is a
 * row ClickHouse refuses. Pure.
 */
import { ConsentAction, type Record } from '../gen/tributary/ingest/v1/record';
import { GENERAL_CATEGORY, type Decision } from './consent';

/** The first and last instants consent_decisions stores: ClickHouse's DateTime64 span. */
const EARLIEST_MS = Date.UTC(1900, 0, 1);
const LATEST_MS = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

/** `ms` within the span ClickHouse stores. */
const stored = (ms: number): number => Math.min(LATEST_MS, Math.max(EARLIEST_MS, ms));

/** The decision of `record`, made at `decidedAt`; undefined when it is not a consent record with an action. */
export function decisionOf(record: Record, decidedAt: Date): Decision | undefined {
  if (record.kind?.$case !== 'event' || record.kind.value.call?.$case !== 'consent') return undefined;
  const consent = record.kind.value.call.value;
  if (consent.action !== ConsentAction.ACCEPT && consent.action !== ConsentAction.REJECT) return undefined;
  return {
    category: consent.category === '' ? GENERAL_CATEGORY : consent.category,
    accept: consent.action === ConsentAction.ACCEPT,
    decidedAt: stored(decidedAt.getTime()),
    validUntil: stored(consent.validUntil?.getTime() ?? EARLIEST_MS),
    source: consent.source,
  };
}
