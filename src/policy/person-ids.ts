/**
 * The ids by which a record names its person, for the ledger's checks: a
 * behavioral event's profile id and user id, an alias's other user id and a
 * consent's email. A product record names no person (it never creates a
 * profile), so it has none.
 */
import type { Record } from '../gen/tributary/ingest/v1/record';

/** The non-empty person ids of `record`. */
export function personIds(record: Record): string[] {
  if (record.kind?.$case !== 'event') return [];
  const event = record.kind.value;
  const ids: string[] = [];
  if (event.profileId !== '') ids.push(event.profileId);
  if (event.userId !== '' && event.userId !== event.profileId) ids.push(event.userId);
  const call = event.call;
  if (call?.$case === 'alias' && call.value.anotherUserId !== '') ids.push(call.value.anotherUserId);
  else if (call?.$case === 'consent' && call.value.email !== '') ids.push(call.value.email);
  return ids;
}
