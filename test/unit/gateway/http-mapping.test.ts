/**
 * The HTTP doors' pure parts: Segment's and Intempt's bodies as the
 * contract's records, event ids derived from content, and the connection's
 * address and user agent (X-Forwarded-For only from a trusted proxy).
 */
import type { IncomingMessage } from 'node:http';
import { connectionOf, withConnection } from '../../../src/gateway/connection';
import { intemptConsentRecord, intemptTrackItems } from '../../../src/gateway/doors/intempt-mapping';
import { segmentRecord } from '../../../src/gateway/doors/segment-mapping';
import type { MadeRecord } from '../../../src/gateway/framing';
import { IngestError } from '../../../src/errors/ingest-error';
import type { Record } from '../../../src/gen/tributary/ingest/v1/record';

const NOW = new Date('2026-11-29T12:00:00Z');
const recordOf = (made: MadeRecord): Record => {
  if ('violation' in made) throw new Error(`a violation: ${made.violation.message}`);
  return made.record;
};
const eventOf = (made: MadeRecord) => {
  const kind = recordOf(made).kind;
  if (kind?.$case !== 'event') throw new Error('not an event');
  return kind.value;
};

describe('Segment messages', () => {
  it('maps each call, with anonymousId as the profile and userId as the user', () => {
    const base = { messageId: 'm1', anonymousId: 'anon', userId: 'user', timestamp: '2026-11-28T10:00:00Z', integrations: { All: false }, _metadata: { bundled: [] } };
    expect(eventOf(segmentRecord({ ...base, event: 'Signed Up', properties: { plan: 'pro' } }, 'track', undefined, NOW))).toMatchObject({
      profileId: 'anon',
      userId: 'user',
      call: { $case: 'track', value: { name: 'Signed Up', data: { plan: 'pro' } } },
    });
    expect(eventOf(segmentRecord({ ...base, traits: { a: 1 } }, 'identify', undefined, NOW)).call).toEqual({ $case: 'identify', value: { userAttributes: { a: 1 } } });
    expect(eventOf(segmentRecord({ ...base, groupId: 'acc', traits: { seats: 2 } }, 'group', undefined, NOW))).toMatchObject({
      accountId: 'acc',
      call: { $case: 'group', value: { accountAttributes: { seats: 2 } } },
    });
    expect(eventOf(segmentRecord({ ...base, previousId: 'old' }, 'alias', undefined, NOW)).call).toEqual({ $case: 'alias', value: { anotherUserId: 'old' } });
    const page = eventOf(segmentRecord({ ...base, name: 'Home', context: { page: { url: 'https://a.example/', path: '/' } } }, 'screen', undefined, NOW));
    expect(page.call).toEqual({ $case: 'page', value: { url: 'https://a.example/', title: 'Home', referrer: '', path: '/', data: undefined } });
  });

  it("uses a batch's context under the message's own, and userId as the profile without an anonymousId", () => {
    const event = eventOf(segmentRecord({ type: 'track', messageId: 'm', userId: 'u', event: 'E', context: { locale: 'de-DE' } }, undefined, { locale: 'en-US', timezone: 'UTC' }, NOW));
    expect(event.profileId).toBe('u');
    expect(event.context).toMatchObject({ locale: 'de-DE', timezone: 'UTC' });
  });

  it('derives a stable event id without a messageId, and stamps a message without a timestamp', () => {
    const message = { userId: 'u', event: 'E', sentAt: '2026-11-29T11:00:00Z' };
    const first = recordOf(segmentRecord(message, 'track', undefined, NOW));
    const retried = recordOf(segmentRecord({ ...message, sentAt: '2026-11-29T11:00:05Z' }, 'track', undefined, new Date()));
    expect(first.eventId).toMatch(/^segment-[0-9a-f]{32}$/);
    expect(retried.eventId).toBe(first.eventId);
    expect(first.timestamp).toEqual(NOW);
    expect(recordOf(segmentRecord({ ...message, event: 'F' }, 'track', undefined, NOW)).eventId).not.toBe(first.eventId);
  });

  it('rejects a message alone for a bag that is not an object, or a type it does not know', () => {
    expect(segmentRecord({ messageId: 'm', userId: 'u', event: 'E', properties: 'x' }, 'track', undefined, NOW)).toEqual({
      violation: expect.objectContaining({ field: 'event.track.data', reason: 'INVALID_VALUE' }),
      eventId: 'm',
    });
    expect(segmentRecord({ type: 'screenshot', messageId: 'm' }, undefined, undefined, NOW)).toEqual({ violation: expect.objectContaining({ field: 'type' }), eventId: 'm' });
    expect(segmentRecord([1], 'track', undefined, NOW)).toEqual({ violation: expect.objectContaining({ reason: 'UNDECODABLE' }), eventId: '' });
  });
});

describe("Intempt's Track data", () => {
  const item = {
    eventId: 'e1',
    profileId: 'p',
    userId: 'u',
    accountId: 'a',
    timestamp: 1714631904000,
    data: { x: 1 },
    userAttributes: { l: 'USA' },
    accountAttributes: { f: 2000 },
    anotherUserId: 'u2',
  };

  it('makes a track of each item, and an identify, a group and an alias where the item carries what they need', () => {
    const [records] = intemptTrackItems({ track: [{ name: 'Purchase', payload: [item] }] });
    expect(records.map((r) => recordOf(r).eventId)).toEqual(['e1', 'e1:identify', 'e1:group', 'e1:alias']);
    expect(records.map((r) => eventOf(r).call?.$case)).toEqual(['track', 'identify', 'group', 'alias']);
    expect(recordOf(records[0]).timestamp).toEqual(new Date(1714631904000));
    const [[bare]] = intemptTrackItems({ track: [{ name: 'Viewed', payload: [{ eventId: 'e2', profileId: 'p', timestamp: 1 }] }] });
    expect(eventOf(bare).call).toEqual({ $case: 'track', value: { name: 'Viewed', data: undefined } });
  });

  it('takes an item with a productId as one product record', () => {
    const [[product]] = intemptTrackItems({ track: [{ name: 'Catalog', payload: [{ productId: '123', data: { name: 'Wine' } }] }] });
    expect(recordOf(product).kind).toMatchObject({ $case: 'product', value: { productId: '123', profileId: undefined, data: { name: 'Wine' } } });
  });

  it('refuses a body that is not {track: [...]} as a whole, naming track', () => {
    const refusal = (() => {
      try {
        intemptTrackItems({ events: [] });
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(IngestError);
    expect(refusal).toMatchObject({ reason: 'MALFORMED_REQUEST', options: { violations: [{ field: 'track' }] } });
  });
});

describe("Intempt's Consent", () => {
  it('derives a stable event id from the content, and keys the profile by profileId, then userId, then email', () => {
    const body = { action: 'Accept', timestamp: 1, validUntil: 2, source: 'banner', email: 'a@example.com' };
    const record = recordOf(intemptConsentRecord(body));
    expect(record.eventId).toMatch(/^consent-[0-9a-f]{32}$/);
    expect(recordOf(intemptConsentRecord({ ...body })).eventId).toBe(record.eventId);
    expect(recordOf(intemptConsentRecord({ ...body, source: 'form' })).eventId).not.toBe(record.eventId);
    expect(eventOf(intemptConsentRecord(body))).toMatchObject({ profileId: 'email:a@example.com', call: { $case: 'consent', value: { action: 1, email: 'a@example.com' } } });
    expect(eventOf(intemptConsentRecord({ ...body, userId: 'u' })).profileId).toBe('u');
    expect(eventOf(intemptConsentRecord({ ...body, userId: 'u', profileId: 'p' })).profileId).toBe('p');
  });
});

describe('the connection', () => {
  const request = (remoteAddress: string, headers: { [name: string]: string } = {}) => ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

  it('is the peer, unless a trusted proxy forwards: then the right-most address that is not a trusted proxy', () => {
    expect(connectionOf(request('::ffff:10.0.0.9', { 'x-forwarded-for': '1.2.3.4', 'user-agent': 'ua' }), [])).toEqual({ ip: '10.0.0.9', userAgent: 'ua' });
    expect(connectionOf(request('10.0.0.1', { 'x-forwarded-for': '6.6.6.6, 1.2.3.4, 10.0.0.2' }), ['10.0.0.1', '10.0.0.2']).ip).toBe('1.2.3.4');
  });

  it("fills a record's ip and user agent only where it has none, and leaves a product alone", () => {
    const event = (context: object | undefined): Record => ({
      eventId: 'e',
      timestamp: NOW,
      kind: { $case: 'event', value: { profileId: 'p', userId: '', sessionId: '', accountId: '', pageId: '', context: context as never, call: undefined } },
    });
    const filled = withConnection(event({ ip: '9.9.9.9', userAgent: '' }), { ip: '1.1.1.1', userAgent: 'ua' });
    expect(filled.kind?.$case === 'event' && filled.kind.value.context).toMatchObject({ ip: '9.9.9.9', userAgent: 'ua' });
    const empty = withConnection(event(undefined), { ip: '1.1.1.1', userAgent: 'ua' });
    expect(empty.kind?.$case === 'event' && empty.kind.value.context).toMatchObject({ ip: '1.1.1.1', userAgent: 'ua' });
    const product: Record = { eventId: 'e', timestamp: undefined, kind: { $case: 'product', value: { productId: 'x' } as never } };
    expect(withConnection(product, { ip: '1.1.1.1', userAgent: 'ua' })).toBe(product);
  });
});
