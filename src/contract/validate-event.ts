/**
 * The rules of behavioral events: every event names its profile, and each
 * call (track, identify, alias, group, consent, page) adds the fields it needs.
 */
import type { BehavioralEvent } from '../gen/tributary/ingest/v1/record';
import { ConsentAction } from '../gen/tributary/ingest/v1/record';
import type { ValidationLimits } from './limits';
import { Reason } from './reasons';
import { isReservedTrackName } from './reserved-names';
import { checkEnum, checkLabel, checkLength, checkTimestamp, checkUri, report, type Violations } from './field-checks';
import { checkStruct } from './struct-checks';
import { checkContext } from './validate-context';

type Call = NonNullable<BehavioralEvent['call']>;

function checkCall(call: Call, event: BehavioralEvent, limits: ValidationLimits, out: Violations): void {
  switch (call.$case) {
    case 'track': {
      const { name, data } = call.value;
      checkLabel(name, 'event.track.name', 'for track', limits.maxNameLength, out);
      if (isReservedTrackName(name)) {
        report(out, 'event.track.name', Reason.RESERVED_NAME, `event.track.name "${name.trim()}" is reserved for the platform's own events.`);
      }
      checkStruct(data, 'event.track.data', limits, out);
      return;
    }
    case 'identify':
      checkStruct(call.value.userAttributes, 'event.identify.user_attributes', limits, out);
      return;
    case 'alias': {
      const other = call.value.anotherUserId;
      checkLabel(other, 'event.alias.another_user_id', 'for alias', limits.maxIdLength, out);
      if (other !== '' && other === event.userId) {
        report(out, 'event.alias.another_user_id', Reason.INVALID_VALUE, 'event.alias.another_user_id must differ from event.user_id.');
      }
      return;
    }
    case 'group':
      checkStruct(call.value.accountAttributes, 'event.group.account_attributes', limits, out);
      return;
    case 'consent': {
      const consent = call.value;
      checkEnum(consent.action, ConsentAction, 'event.consent.action', 'for consent', out);
      checkTimestamp(consent.validUntil, 'event.consent.valid_until', 'for consent', out);
      checkLabel(consent.source, 'event.consent.source', 'for consent', limits.maxNameLength, out);
      checkLabel(consent.category, 'event.consent.category', undefined, limits.maxNameLength, out);
      checkLabel(consent.email, 'event.consent.email', undefined, limits.maxNameLength, out);
      checkLength(consent.message, 'event.consent.message', limits.maxTextLength, out);
      return;
    }
    case 'page': {
      const page = call.value;
      checkUri(page.url, 'event.page.url', limits.maxTextLength, out);
      checkUri(page.referrer, 'event.page.referrer', limits.maxTextLength, out);
      checkLength(page.title, 'event.page.title', limits.maxTextLength, out);
      checkLength(page.path, 'event.page.path', limits.maxTextLength, out);
      checkStruct(page.data, 'event.page.data', limits, out);
      return;
    }
  }
}

/** Checks a behavioral event's identifiers, context and call. */
export function checkEvent(event: BehavioralEvent, limits: ValidationLimits, out: Violations): void {
  const call = event.call?.$case;
  const max = limits.maxIdLength;
  checkLabel(event.profileId, 'event.profile_id', 'for every behavioral event', max, out);
  checkLabel(event.userId, 'event.user_id', call === 'identify' || call === 'alias' ? `for ${call}` : undefined, max, out);
  checkLabel(event.sessionId, 'event.session_id', undefined, max, out);
  checkLabel(event.accountId, 'event.account_id', call === 'group' ? 'for group' : undefined, max, out);
  checkLabel(event.pageId, 'event.page_id', undefined, max, out);
  checkContext(event.context, limits, out);
  if (event.call === undefined) {
    report(out, 'event.call', Reason.REQUIRED, 'event.call is required: set exactly one of track, identify, alias, group, consent or page.');
  } else {
    checkCall(event.call, event, limits, out);
  }
}
