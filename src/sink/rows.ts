/**
 * Envelopes into table rows: pure functions, one per arm of the contract.
 * A behavioral event becomes one `events` row; a product record one
 * `products` row and nothing else (it never reaches `profiles`, which is fed
 * from events only). Columns match src/storage/schema.ts; the context column
 * holds the Context in proto3 JSON, as JSON producers send it.
 */
import type { Envelope } from '../gen/tributary/ingest/v1/envelope';
import { ConsentAction, Context, ProductAvailability, type BehavioralEvent, type ProductRecord } from '../gen/tributary/ingest/v1/record';
import { toDateTime64 } from '../storage/datetime';

type Json = { readonly [key: string]: unknown };

/** A row of the `events` table. */
export interface EventRow {
  readonly source_id: string;
  readonly event_id: string;
  readonly call: string;
  readonly name: string;
  readonly timestamp: string;
  readonly original_timestamp: string;
  readonly received_at: string;
  readonly sent_at: string | null;
  readonly profile_id: string;
  readonly user_id: string;
  readonly session_id: string;
  readonly account_id: string;
  readonly page_id: string;
  readonly another_user_id: string;
  readonly properties: Json;
  readonly user_attributes: Json;
  readonly account_attributes: Json;
  readonly context: Json;
  readonly consent_action: string;
  readonly consent_category: string;
  readonly consent_valid_until: string | null;
  readonly consent_source: string;
  readonly consent_message: string;
  readonly consent_email: string;
  readonly page_url: string;
  readonly page_title: string;
  readonly page_referrer: string;
  readonly page_path: string;
  readonly stream_seq: number;
}

/** A row of the `products` table. */
export interface ProductRow {
  readonly source_id: string;
  readonly product_id: string;
  readonly event_id: string;
  readonly profile_id: string;
  readonly user_id: string;
  readonly title: string;
  readonly description: string;
  readonly url: string;
  readonly image_link: string;
  readonly price: number | null;
  readonly currency: string;
  readonly brand: string;
  readonly category: string;
  readonly tags: readonly string[];
  readonly availability: string;
  readonly rating: number | null;
  readonly data: Json;
  readonly updated_at: string;
  readonly received_at: string;
  readonly stream_seq: number;
}

/** A row and the table it belongs in. */
export type TableRow = { readonly table: 'events'; readonly row: EventRow } | { readonly table: 'products'; readonly row: ProductRow };

/** An envelope that decodes but cannot be a row (no record, no kind, no call). */
export class InvalidEnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEnvelopeError';
  }
}

type CallColumns = Pick<
  EventRow,
  'call' | 'name' | 'another_user_id' | 'properties' | 'user_attributes' | 'account_attributes' | 'consent_action' | 'consent_category' | 'consent_valid_until' | 'consent_source' | 'consent_message' | 'consent_email' | 'page_url' | 'page_title' | 'page_referrer' | 'page_path'
>;

const NO_CALL_COLUMNS: Omit<CallColumns, 'call'> = {
  name: '',
  another_user_id: '',
  properties: {},
  user_attributes: {},
  account_attributes: {},
  consent_action: '',
  consent_category: '',
  consent_valid_until: null,
  consent_source: '',
  consent_message: '',
  consent_email: '',
  page_url: '',
  page_title: '',
  page_referrer: '',
  page_path: '',
};

const consentActionName = (action: ConsentAction): string => (action === ConsentAction.ACCEPT ? 'accept' : action === ConsentAction.REJECT ? 'reject' : '');

/** The columns one call fills: one case per arm of BehavioralEvent.call. */
function callColumns(call: NonNullable<BehavioralEvent['call']>): CallColumns {
  switch (call.$case) {
    case 'track':
      return { ...NO_CALL_COLUMNS, call: 'track', name: call.value.name, properties: call.value.data ?? {} };
    case 'identify':
      return { ...NO_CALL_COLUMNS, call: 'identify', user_attributes: call.value.userAttributes ?? {} };
    case 'alias':
      return { ...NO_CALL_COLUMNS, call: 'alias', another_user_id: call.value.anotherUserId };
    case 'group':
      return { ...NO_CALL_COLUMNS, call: 'group', account_attributes: call.value.accountAttributes ?? {} };
    case 'consent': {
      const c = call.value;
      return {
        ...NO_CALL_COLUMNS,
        call: 'consent',
        consent_action: consentActionName(c.action),
        consent_category: c.category,
        consent_valid_until: c.validUntil === undefined ? null : toDateTime64(c.validUntil),
        consent_source: c.source,
        consent_message: c.message,
        consent_email: c.email,
      };
    }
    case 'page': {
      const p = call.value;
      return { ...NO_CALL_COLUMNS, call: 'page', properties: p.data ?? {}, page_url: p.url, page_title: p.title, page_referrer: p.referrer, page_path: p.path };
    }
  }
}

/** The events row of a behavioral event. */
export function eventRow(envelope: Envelope, event: BehavioralEvent, eventId: string, seq: number): EventRow {
  if (event.call === undefined) throw new InvalidEnvelopeError('the event has no call');
  const received = envelope.receivedAt ?? new Date(0);
  const timestamp = envelope.timestamp ?? received;
  return {
    source_id: envelope.sourceId,
    event_id: eventId,
    ...callColumns(event.call),
    timestamp: toDateTime64(timestamp),
    original_timestamp: toDateTime64(envelope.record?.timestamp ?? timestamp),
    received_at: toDateTime64(received),
    sent_at: envelope.sentAt === undefined ? null : toDateTime64(envelope.sentAt),
    profile_id: event.profileId,
    user_id: event.userId,
    session_id: event.sessionId,
    account_id: event.accountId,
    page_id: event.pageId,
    context: event.context === undefined ? {} : (Context.toJSON(event.context) as Json),
    stream_seq: seq,
  };
}

const availabilityName = (a: ProductAvailability): string => (a === ProductAvailability.UNSPECIFIED || ProductAvailability[a] === undefined ? '' : ProductAvailability[a].toLowerCase());

/** The products row of a product record. */
export function productRow(envelope: Envelope, product: ProductRecord, eventId: string, seq: number): ProductRow {
  const received = envelope.receivedAt ?? new Date(0);
  return {
    source_id: envelope.sourceId,
    product_id: product.productId,
    event_id: eventId,
    profile_id: product.profileId ?? '',
    user_id: product.userId ?? '',
    title: product.title,
    description: product.description,
    url: product.url,
    image_link: product.imageLink,
    price: product.price ?? null,
    currency: product.currency,
    brand: product.brand,
    category: product.category,
    tags: product.tags,
    availability: availabilityName(product.availability),
    rating: product.rating ?? null,
    data: product.data ?? {},
    updated_at: toDateTime64(envelope.timestamp ?? received),
    received_at: toDateTime64(received),
    stream_seq: seq,
  };
}

/** The row an envelope becomes; throws InvalidEnvelopeError when it cannot be one. */
export function toTableRow(envelope: Envelope, seq: number): TableRow {
  const record = envelope.record;
  const kind = record?.kind;
  if (record === undefined || kind === undefined) throw new InvalidEnvelopeError('the envelope holds no record');
  return kind.$case === 'event'
    ? { table: 'events', row: eventRow(envelope, kind.value, record.eventId, seq) }
    : { table: 'products', row: productRow(envelope, kind.value, record.eventId, seq) };
}
