/** Records for tests, built from the shared valid fixtures. */
import { Record } from '../../src/gen/tributary/ingest/v1/record';
import { validFixtures } from './fixtures';

/** Every valid fixture as a decoded Record, with `suffix` appended to its event id. */
export function validRecords(suffix = ''): Record[] {
  return validFixtures().map((f) => {
    const record = Record.fromJSON(f.content);
    return { ...record, eventId: record.eventId + suffix };
  });
}

/** A valid track record with the given event id (and name and data). */
export function trackRecord(eventId: string, name = 'Button Clicked', data: { [key: string]: unknown } = { n: 1 }): Record {
  return {
    eventId,
    timestamp: new Date(Date.now() - 1000),
    kind: { $case: 'event', value: { profileId: 'usr_1', userId: '', sessionId: 'sess_1', accountId: '', pageId: '', call: { $case: 'track', value: { name, data } } } },
  };
}

/** A copy of `record` without its free-form payload, as the gateway decodes a record whose payload it checked on the wire. */
export function withoutPayload(record: Record): Record {
  const copy = structuredClone(record);
  const kind = copy.kind;
  if (kind?.$case === 'product') {
    kind.value.data = undefined;
    return copy;
  }
  const call = kind?.value.call;
  if (call?.$case === 'track' || call?.$case === 'page') call.value.data = undefined;
  else if (call?.$case === 'identify') call.value.userAttributes = undefined;
  else if (call?.$case === 'group') call.value.accountAttributes = undefined;
  return copy;
}
