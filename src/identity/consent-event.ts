/**
 * What a message on the consent subjects says: the decision (policy/
 * consent-record.ts, decided at the Envelope's corrected timestamp, as the
 * gateway decided it) and the identity nodes it names: its profile, its
 * user id, and its email as a user id (an email is how Intempt's user ids
 * usually look, so the graph finds the person under it).
 */
import type { Envelope } from '../gen/tributary/ingest/v1/envelope';
import type { Decision } from '../policy/consent';
import { decisionOf } from '../policy/consent-record';
import { profileNode, userNode, type IdentityNode } from './links';

/** A consent decision from the stream. */
export interface ConsentEvent {
  readonly sourceId: string;
  readonly eventId: string;
  readonly seq: number;
  readonly decision: Decision;
  /** The nodes it names, each once. */
  readonly nodes: readonly IdentityNode[];
}

/** The decision in a decoded Envelope, or undefined when it holds none. */
export function consentEventOf(envelope: Envelope, seq: number): ConsentEvent | undefined {
  const record = envelope.record;
  if (record?.kind?.$case !== 'event' || record.kind.value.call?.$case !== 'consent') return undefined;
  const decision = decisionOf(record, envelope.timestamp ?? record.timestamp ?? envelope.receivedAt ?? new Date(0));
  if (decision === undefined) return undefined;
  const event = record.kind.value;
  const { email } = record.kind.value.call.value;
  const nodes = new Set<IdentityNode>();
  if (event.profileId !== '') nodes.add(profileNode(event.profileId));
  if (event.userId !== '') nodes.add(userNode(event.userId));
  if (email !== '') nodes.add(userNode(email));
  return { sourceId: envelope.sourceId, eventId: record.eventId, seq, decision, nodes: [...nodes] };
}
