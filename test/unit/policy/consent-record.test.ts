/** A consent record's decision: its parts, `general` for no category, and times held to what ClickHouse stores. */
import { ConsentAction, type Record } from '../../../src/gen/tributary/ingest/v1/record';
import { decisionOf } from '../../../src/policy/consent-record';

const consent = (category: string, validUntil: Date, action = ConsentAction.ACCEPT): Record => ({
  eventId: 'e1',
  timestamp: undefined,
  kind: {
    $case: 'event',
    value: {
      profileId: 'p1',
      userId: '',
      sessionId: '',
      accountId: '',
      pageId: '',
      context: undefined,
      call: { $case: 'consent', value: { action, category, validUntil, source: 'banner', message: '', email: '' } },
    },
  },
});

it('takes the action, the category (general when none), the times and where it was collected', () => {
  expect(decisionOf(consent('ads', new Date(5000), ConsentAction.REJECT), new Date(1000))).toEqual({ category: 'ads', accept: false, decidedAt: 1000, validUntil: 5000, source: 'banner' });
  expect(decisionOf(consent('', new Date(5000)), new Date(1000))?.category).toBe('general');
  // Were valid_until missing (the contract refuses it), the accept would never count.
  expect(decisionOf(consent('ads', undefined as unknown as Date), new Date(1000))?.validUntil).toBe(Date.UTC(1900, 0, 1));
  expect(decisionOf(consent('ads', new Date(5000), ConsentAction.UNSPECIFIED), new Date(1000))).toBeUndefined();
  expect(decisionOf({ eventId: 'p', timestamp: undefined, kind: { $case: 'product', value: { productId: 'x', data: undefined } } } as unknown as Record, new Date(0))).toBeUndefined();
});

it('holds both times to the span a ClickHouse DateTime64 stores, so the ledger and consent_current order the same values', () => {
  const far = decisionOf(consent('ads', new Date(8_640_000_000_000_000)), new Date(-8_640_000_000_000_000));
  expect([far?.decidedAt, far?.validUntil].map((ms) => new Date(ms ?? 0).toISOString())).toEqual(['1900-01-01T00:00:00.000Z', '2299-12-31T23:59:59.999Z']);
});
