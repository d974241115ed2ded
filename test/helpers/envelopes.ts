/** Records as the gateway puts them on the stream: Envelope, subject and Nats-Msg-Id. */
import { Record } from '../../src/gen/tributary/ingest/v1/record';
import { encodeEnvelope } from '../../src/publish/envelope';
import type { OutboundMessage } from '../../src/publish/publisher';
import { messageId, subjectFor } from '../../src/publish/subjects';

/** How a test publishes records: their source, and optionally a message id of its own (to get past the stream's duplicate window). */
export interface EnvelopeOptions {
  readonly sourceId?: string;
  readonly msgIdSuffix?: string;
  readonly receivedAt?: Date;
}

/** The messages the gateway would publish for `records` under `subjectPrefix`. */
export function envelopeMessages(subjectPrefix: string, records: readonly Record[], options: EnvelopeOptions = {}): OutboundMessage[] {
  const sourceId = options.sourceId ?? 'source_a';
  const receivedAt = options.receivedAt ?? new Date();
  return records.map((record) => ({
    subject: subjectFor(subjectPrefix, sourceId, record),
    msgId: messageId(sourceId, record.eventId) + (options.msgIdSuffix ?? ''),
    data: encodeEnvelope(Record.encode(record).finish(), { sourceId, receivedAt, timestamp: record.timestamp ?? receivedAt, sentAt: undefined }),
  }));
}
