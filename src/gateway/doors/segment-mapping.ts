/**
 * Segment's calls as the contract's records (docs/http.md has the table):
 * `messageId` is the event id (derived from the content when there is
 * none), `anonymousId` the profile id (`userId` when
 * there is no anonymous id), `userId` the user id, `properties` the data,
 * `traits` the attributes, `context` the Context. Fields the contract has no
 * place for (`integrations`, `_metadata`, `sentAt`, `context.page`…) are
 * read where they help and otherwise ignored, never a reason to reject.
 * Pure.
 */
import { Reason } from '../../contract';
import { Context, type BehavioralEvent, type Record } from '../../gen/tributary/ingest/v1/record';
import type { MadeRecord } from '../framing';
import { bag, contentId, isObject, MappingProblem, text, type JsonObject } from './json-fields';

/** The Segment call types Tributary takes; `screen` becomes a page view. */
export const SEGMENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;

type Call = NonNullable<BehavioralEvent['call']>;

function callOf(type: string, message: JsonObject, context: JsonObject | undefined): Call {
  switch (type) {
    case 'track':
      return { $case: 'track', value: { name: text(message.event), data: bag(message.properties, 'event.track.data') } };
    case 'identify':
      return { $case: 'identify', value: { userAttributes: bag(message.traits, 'event.identify.user_attributes') } };
    case 'group':
      return { $case: 'group', value: { accountAttributes: bag(message.traits, 'event.group.account_attributes') } };
    case 'alias':
      return { $case: 'alias', value: { anotherUserId: text(message.previousId) } };
    default: {
      // page and screen: the page's facts from properties, else from context.page, as Segment's own destinations read them.
      const properties = bag(message.properties, 'event.page.data');
      const page = isObject(context?.page) ? context.page : {};
      const fact = (key: string) => text(properties?.[key]) || text(page[key]);
      return { $case: 'page', value: { url: fact('url'), title: fact('title') || text(message.name), referrer: fact('referrer'), path: fact('path'), data: properties } };
    }
  }
}

/**
 * The record of one Segment message of `type` (its own `type` field when
 * given). `defaults` is a batch's own context, under each message's; a message
 * without a timestamp is stamped `now`, as Segment stamps it on receipt.
 */
export function segmentRecord(message: unknown, type: string | undefined, defaults: JsonObject | undefined, now: Date): MadeRecord {
  if (!isObject(message)) return { violation: { field: '', reason: Reason.UNDECODABLE, message: 'The message is not a JSON object.' }, eventId: '' };
  const kind = text(message.type) || type || '';
  // Segment's HTTP API makes a messageId when a caller sends none; this one comes from the content (less sentAt and _metadata, which a retry changes), so a retry is a DUPLICATE.
  const eventId = text(message.messageId) || contentId('segment', { ...message, type: kind, sentAt: undefined, _metadata: undefined });
  if (!(SEGMENT_TYPES as readonly string[]).includes(kind)) {
    return { violation: { field: 'type', reason: Reason.INVALID_VALUE, message: `type "${kind}" is not one of ${SEGMENT_TYPES.join(', ')}.` }, eventId };
  }
  try {
    const context = { ...(isObject(defaults) ? defaults : {}), ...(isObject(message.context) ? message.context : {}) };
    const userId = text(message.userId);
    const timestamp = message.timestamp === undefined || message.timestamp === null ? now : new Date(text(message.timestamp) || Number.NaN);
    const record: Record = {
      eventId,
      timestamp,
      kind: {
        $case: 'event',
        value: {
          profileId: text(message.anonymousId) || userId,
          userId,
          sessionId: text(context.sessionId),
          accountId: kind === 'group' ? text(message.groupId) : text(context.groupId),
          pageId: '',
          context: Context.fromJSON(context),
          call: callOf(kind, message, context),
        },
      },
    };
    return { record };
  } catch (error) {
    if (error instanceof MappingProblem) return { violation: error.violation, eventId };
    throw error;
  }
}
