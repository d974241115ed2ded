/**
 * Where a record goes on the stream and how JetStream recognises a retry:
 * subjects per source and kind, and the Nats-Msg-Id scoped by source.
 */
import type { Record } from '../gen/tributary/ingest/v1/record';

/**
 * The subject of a record: `<prefix>.<source>.event.<call>` for a behavioral
 * event, `<prefix>.<source>.product` for a product record.
 */
export function subjectFor(prefix: string, sourceId: string, record: Record): string {
  const kind = record.kind;
  if (kind?.$case === 'product') return `${prefix}.${sourceId}.product`;
  return `${prefix}.${sourceId}.event.${kind?.value.call?.$case ?? 'unknown'}`;
}

/** The Nats-Msg-Id of a record: its event id scoped by source, so two sources never collide. */
export const messageId = (sourceId: string, eventId: string): string => `${sourceId}:${eventId}`;
