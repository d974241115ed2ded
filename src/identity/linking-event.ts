/**
 * What a message on the identify and alias subjects says about identity,
 * decoded from its Envelope. Decoding whole Envelopes is fine here: only
 * identify and alias events reach this stage.
 */
import { Envelope } from '../gen/tributary/ingest/v1/envelope';
import { toDateTime64 } from '../storage/datetime';
import type { LinkingEvent } from './links';

/** The event in an Envelope's bytes, or undefined when they hold no behavioral event; throws when they do not decode. */
export const linkingEvent = (bytes: Uint8Array, seq: number): LinkingEvent | undefined => linkingEventOf(Envelope.decode(bytes), seq);

/** The event in a decoded Envelope, or undefined when it holds no behavioral event. */
export function linkingEventOf(envelope: Envelope, seq: number): LinkingEvent | undefined {
  const record = envelope.record;
  if (record?.kind?.$case !== 'event') return undefined;
  const event = record.kind.value;
  const call = event.call;
  const received = envelope.receivedAt ?? new Date(0);
  return {
    source_id: envelope.sourceId,
    event_id: record.eventId,
    call: call?.$case ?? '',
    profile_id: event.profileId,
    user_id: event.userId,
    another_user_id: call?.$case === 'alias' ? call.value.anotherUserId : '',
    original_timestamp: toDateTime64(record.timestamp ?? envelope.timestamp ?? received),
    stream_seq: seq,
    user_hash: call?.$case === 'identify' ? call.value.userHash : undefined,
  };
}
