/**
 * The field numbers of every message the wire readers read, by the field's
 * proto3 JSON name: the records the gateway decodes (record-fields.ts), the
 * google.protobuf.Struct it and the sink walk (struct-walk.ts), and the
 * envelope the sink makes rows of (src/sink/envelope-row.ts). A table lists
 * every field of its message, so a field added to the contract is added
 * here, once, for all readers; field-numbers.test.ts holds each table to the
 * descriptors `buf build` writes.
 */

/** A message's field numbers by proto3 JSON name. */
export type FieldNumbers = { readonly [jsonName: string]: number };

/** google.protobuf.Timestamp. */
export const TIMESTAMP = { seconds: 1, nanos: 2 } as const;

/** google.protobuf.Struct. */
export const STRUCT = { fields: 1 } as const;

/** A map entry, such as Struct's FieldsEntry. */
export const MAP_ENTRY = { key: 1, value: 2 } as const;

/** google.protobuf.Value: its oneof `kind`. */
export const VALUE = { nullValue: 1, numberValue: 2, stringValue: 3, boolValue: 4, structValue: 5, listValue: 6 } as const;

/** google.protobuf.ListValue. */
export const LIST_VALUE = { values: 1 } as const;

/** tributary.ingest.v1.Envelope. */
export const ENVELOPE = { record: 1, sourceId: 2, receivedAt: 3, timestamp: 4, sentAt: 5 } as const;

/** tributary.ingest.v1.Record. */
export const RECORD = { eventId: 1, timestamp: 2, event: 3, product: 4 } as const;

/** tributary.ingest.v1.BehavioralEvent: the ids, the context, and the oneof `call`. */
export const BEHAVIORAL_EVENT = {
  profileId: 1,
  userId: 2,
  sessionId: 3,
  accountId: 4,
  pageId: 5,
  context: 6,
  track: 10,
  identify: 11,
  alias: 12,
  group: 13,
  consent: 14,
  page: 15,
} as const;

/** tributary.ingest.v1.TrackCall. */
export const TRACK_CALL = { name: 1, data: 2 } as const;

/** tributary.ingest.v1.IdentifyCall. */
export const IDENTIFY_CALL = { userAttributes: 1, userHash: 2 } as const;

/** tributary.ingest.v1.AliasCall. */
export const ALIAS_CALL = { anotherUserId: 1 } as const;

/** tributary.ingest.v1.GroupCall. */
export const GROUP_CALL = { accountAttributes: 1 } as const;

/** tributary.ingest.v1.ConsentCall. */
export const CONSENT_CALL = { action: 1, category: 2, validUntil: 3, source: 4, message: 5, email: 6 } as const;

/** tributary.ingest.v1.PageCall. */
export const PAGE_CALL = { url: 1, title: 2, referrer: 3, path: 4, data: 5 } as const;

/** tributary.ingest.v1.Context. */
export const CONTEXT = { library: 1, device: 2, os: 3, app: 4, campaign: 5, locale: 6, timezone: 7, userAgent: 8, ip: 9 } as const;

/** tributary.ingest.v1.Context.Library. */
export const CONTEXT_LIBRARY = { name: 1, version: 2 } as const;

/** tributary.ingest.v1.Context.Device. */
export const CONTEXT_DEVICE = { id: 1, manufacturer: 2, model: 3, type: 4, advertisingId: 5 } as const;

/** tributary.ingest.v1.Context.Os. */
export const CONTEXT_OS = { name: 1, version: 2 } as const;

/** tributary.ingest.v1.Context.App. */
export const CONTEXT_APP = { name: 1, version: 2, build: 3, namespace: 4 } as const;

/** tributary.ingest.v1.Context.Campaign. */
export const CONTEXT_CAMPAIGN = { name: 1, source: 2, medium: 3, term: 4, content: 5 } as const;

/** tributary.ingest.v1.ProductRecord. */
export const PRODUCT_RECORD = {
  productId: 1,
  profileId: 2,
  userId: 3,
  title: 4,
  description: 5,
  url: 6,
  imageLink: 7,
  price: 8,
  currency: 9,
  brand: 10,
  category: 11,
  tags: 12,
  availability: 13,
  rating: 14,
  data: 15,
} as const;
