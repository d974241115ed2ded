/**
 * Intempt's HTTP bodies as the contract's records (docs/http.md has the
 * tables). A Track data item becomes its track, plus an identify when it
 * carries userId and userAttributes, a group when it carries accountId and
 * accountAttributes, and an alias when it carries anotherUserId; an item with
 * a productId is product ingestion and becomes one product record. The
 * records an item adds have its event id with ":identify", ":group" or
 * ":alias" after it, so a retried post is answered DUPLICATE for each. A
 * consent body has no event id: one is derived from its content. Pure.
 */
import { Reason } from '../../contract';
import { IngestError } from '../../errors/ingest-error';
import { ConsentAction, ProductRecord, type BehavioralEvent, type Record } from '../../gen/tributary/ingest/v1/record';
import type { MadeRecord } from '../framing';
import { bag, contentId, epochMs, isObject, MappingProblem, text, type JsonObject } from './json-fields';

const notAnObject = (what: string): MadeRecord => ({ violation: { field: '', reason: Reason.UNDECODABLE, message: `${what} is not a JSON object.` }, eventId: '' });

/** Runs `make`, answering a MappingProblem as the record's violation. */
function made(eventId: string, make: () => Record): MadeRecord {
  try {
    return { record: make() };
  } catch (error) {
    if (error instanceof MappingProblem) return { violation: error.violation, eventId };
    throw error;
  }
}

/** A behavioral event of a Track data item. */
function itemEvent(item: JsonObject, eventId: string, call: NonNullable<BehavioralEvent['call']>): Record {
  return {
    eventId,
    timestamp: epochMs(item.timestamp),
    kind: {
      $case: 'event',
      value: { profileId: text(item.profileId), userId: text(item.userId), sessionId: text(item.sessionId), accountId: text(item.accountId), pageId: text(item.pageId), context: undefined, call },
    },
  };
}

/** The records of one Track data item of the group named `name`. */
function itemRecords(name: string, item: unknown): MadeRecord[] {
  if (!isObject(item)) return [notAnObject('The payload item')];
  const eventId = text(item.eventId);
  if (item.productId !== undefined && item.productId !== null) {
    return [
      made(eventId, () => ({
        eventId,
        timestamp: epochMs(item.timestamp),
        kind: {
          $case: 'product',
          // The fields Intempt's item carries; the generated message gives the others their defaults.
          value: ProductRecord.fromPartial({
            productId: text(item.productId),
            profileId: text(item.profileId) || undefined,
            userId: text(item.userId) || undefined,
            data: bag(item.data, 'product.data'),
          }),
        },
      })),
    ];
  }
  const records = [made(eventId, () => itemEvent(item, eventId, { $case: 'track', value: { name, data: bag(item.data, 'event.track.data') } }))];
  if (text(item.userId) !== '' && item.userAttributes !== undefined && item.userAttributes !== null) {
    const id = `${eventId}:identify`;
    records.push(made(id, () => itemEvent(item, id, { $case: 'identify', value: { userAttributes: bag(item.userAttributes, 'event.identify.user_attributes') } })));
  }
  if (text(item.accountId) !== '' && item.accountAttributes !== undefined && item.accountAttributes !== null) {
    const id = `${eventId}:group`;
    records.push(made(id, () => itemEvent(item, id, { $case: 'group', value: { accountAttributes: bag(item.accountAttributes, 'event.group.account_attributes') } })));
  }
  if (text(item.anotherUserId) !== '') {
    const id = `${eventId}:alias`;
    records.push(made(id, () => itemEvent(item, id, { $case: 'alias', value: { anotherUserId: text(item.anotherUserId) } })));
  }
  return records;
}

/** The records of a Track data body, one list per payload item, in order. Throws MALFORMED_REQUEST when the body is not `{track: [...]}`. */
export function intemptTrackItems(body: unknown): MadeRecord[][] {
  if (!isObject(body) || !Array.isArray(body.track)) {
    const description = 'the body must be {"track": [{"name": …, "payload": [...]}]}';
    throw new IngestError('MALFORMED_REQUEST', description, { violations: [{ field: 'track', description }] });
  }
  return body.track.flatMap((group: unknown) => {
    if (!isObject(group) || !Array.isArray(group.payload)) return [[notAnObject('The track group, with its payload list,')]];
    const name = text(group.name);
    return group.payload.map((item: unknown) => itemRecords(name, item));
  });
}

const CONSENT_ACTIONS: { readonly [action: string]: ConsentAction } = { accept: ConsentAction.ACCEPT, reject: ConsentAction.REJECT };

/** The fields of a consent body that make it what it is, in a fixed order: its derived event id hashes them. */
const CONSENT_FIELDS = ['action', 'timestamp', 'validUntil', 'source', 'category', 'profileId', 'userId', 'email', 'message', 'sourceId'];

/**
 * The record of a Consent body. Its event id is "consent-" and the first 32
 * hex digits of the SHA-256 of its fields, so a retried post is a DUPLICATE.
 * Its profile is profileId, else userId, else "email:" and the email.
 */
export function intemptConsentRecord(body: unknown): MadeRecord {
  if (!isObject(body)) return notAnObject('The consent body');
  const eventId = contentId(
    'consent',
    CONSENT_FIELDS.map((field) => body[field] ?? null),
  );
  const email = text(body.email);
  return made(eventId, () => ({
    eventId,
    timestamp: epochMs(body.timestamp),
    kind: {
      $case: 'event',
      value: {
        profileId: text(body.profileId) || text(body.userId) || (email === '' ? '' : `email:${email}`),
        userId: text(body.userId),
        sessionId: '',
        accountId: '',
        pageId: '',
        context: undefined,
        call: {
          $case: 'consent',
          value: {
            action: CONSENT_ACTIONS[text(body.action).toLowerCase()] ?? ConsentAction.UNSPECIFIED,
            category: text(body.category),
            validUntil: epochMs(body.validUntil),
            source: text(body.source),
            message: text(body.message),
            email,
          },
        },
      },
    },
  }));
}
