/**
 * An Envelope's bytes into one row of its table, read straight off the wire
 * and written as TabSeparated bytes (tsv.ts), by position in the column
 * order below: no Envelope object, no JS string per field (a string field's
 * UTF-8 bytes are copied, escaped where TabSeparated needs it), and free-form
 * Structs go from their bytes to JSON text without becoming JS objects
 * (src/contract/wire/struct-json.ts). A bag's cell is the JSON text the
 * producer's value reads as, stored in a String column as it is.
 *
 * A behavioral event becomes one `events` row, a product record one
 * `products` row (it never reaches `profiles`). Columns match
 * src/storage/schema.ts. Decoding follows ts-proto's, which the gateway
 * validated with: a field sent twice keeps its last value, a message field
 * sent twice its last message, a oneof its last member; unknown fields and
 * known ones of another wire type are skipped. Fields are read with the wire
 * cursor and known by their names (src/contract/wire/wire-cursor.ts,
 * field-numbers.ts). The context column is the Context in proto3 JSON.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import {
  ALIAS_CALL,
  BEHAVIORAL_EVENT,
  CONSENT_CALL,
  CONTEXT,
  CONTEXT_APP,
  CONTEXT_CAMPAIGN,
  CONTEXT_DEVICE,
  CONTEXT_LIBRARY,
  CONTEXT_OS,
  ENVELOPE,
  GROUP_CALL,
  IDENTIFY_CALL,
  PAGE_CALL,
  PRODUCT_RECORD,
  RECORD,
  TIMESTAMP,
  TRACK_CALL,
  type FieldNumbers,
} from '../contract/wire/field-numbers';
import type { JsonBytes } from '../contract/wire/json-bytes';
import { writeStruct } from '../contract/wire/struct-json';
import { assertWithin, fieldEnd, skipField } from '../contract/wire/wire-cursor';
import { msToDateTime64 } from '../storage/datetime';
import { tsvEscapeWritten, tsvString, tsvText } from './tsv';

/** The columns of an `events` row, in the order its cells are written. */
export const EVENT_COLUMNS = [
  'source_id',
  'event_id',
  'call',
  'name',
  'another_user_id',
  'properties',
  'user_attributes',
  'account_attributes',
  'consent_action',
  'consent_category',
  'consent_valid_until',
  'consent_source',
  'consent_message',
  'consent_email',
  'page_url',
  'page_title',
  'page_referrer',
  'page_path',
  'timestamp',
  'original_timestamp',
  'received_at',
  'sent_at',
  'profile_id',
  'user_id',
  'session_id',
  'account_id',
  'page_id',
  'context',
  'stream_seq',
] as const;

/** The columns of a `products` row, in the order its cells are written. */
export const PRODUCT_COLUMNS = [
  'source_id',
  'product_id',
  'event_id',
  'profile_id',
  'user_id',
  'title',
  'description',
  'url',
  'image_link',
  'price',
  'currency',
  'brand',
  'category',
  'tags',
  'availability',
  'rating',
  'data',
  'updated_at',
  'received_at',
  'stream_seq',
] as const;

/** A row's table. */
export type RowTable = 'events' | 'products';

/** Where rows are written: the output for a row of `table` that takes at most `most` bytes. */
export interface RowSink {
  begin(table: RowTable, most: number): JsonBytes;
}

/** The row of an envelope. */
export interface EncodedRow {
  readonly table: RowTable;
  /** The row as one TabSeparated line in its table's column order, newline included: a view of the output it was written to. */
  readonly bytes: Uint8Array;
  /** `toYYYYMM` of the column the table is partitioned by (events), or 0 (products: unpartitioned). */
  readonly partition: number;
  readonly sourceId: string;
}

/** An envelope that decodes but cannot be a row (no record, no kind, no call); bytes that do not decode throw other errors. */
export class InvalidEnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEnvelopeError';
  }
}

/** A byte range of a length-delimited field. */
interface Range {
  readonly start: number;
  readonly end: number;
}

/** The most bytes a row takes: JSON text in a cell takes at most 12 bytes for one byte of the envelope (`\\u00XX`), plus the dates and the context's names. */
const mostBytes = (envelope: Uint8Array): number => 12 * envelope.length + 2048;

/** Calls `visit` for each field of the message in `r`; `visit` must consume the field's value or return false to skip it. */
function fields(reader: BinaryReader, r: Range, visit: (field: number, wireType: WireType) => boolean): void {
  reader.pos = r.start;
  while (reader.pos < r.end) {
    const tag = reader.uint32();
    if (!visit(tag >>> 3, (tag & 7) as WireType)) skipField(reader, tag, r.end);
  }
  assertWithin(reader, r.end);
}

/** The range of the length-delimited value at the reader, which it skips; {@link fields} holds it to its message. */
function range(reader: BinaryReader): Range {
  const end = fieldEnd(reader, reader.len);
  const start = reader.pos;
  reader.pos = end;
  return { start, end };
}

const isLength = (wireType: WireType) => wireType === WireType.LengthDelimited;
const isVarint = (wireType: WireType) => wireType === WireType.Varint;

/** A google.protobuf.Timestamp as ts-proto reads it: milliseconds, fractions kept, so `new Date()` truncates as it does. */
function timestampMs(reader: BinaryReader, r: Range): number {
  let seconds = 0;
  let nanos = 0;
  fields(reader, r, (field, wireType) => {
    if (field === TIMESTAMP.seconds && isVarint(wireType)) seconds = Number(reader.int64());
    else if (field === TIMESTAMP.nanos && isVarint(wireType)) nanos = reader.int32();
    else return false;
    return true;
  });
  return seconds * 1000 + nanos / 1_000_000;
}

/** `,"name":` as bytes, by name, made once. */
const MEMBERS = new Map<string, Uint8Array>();

/** Writes the row of one envelope: cells separated by tabs, and the JSON of the context. */
class RowWriter {
  /** Whether the next JSON member is the first of its object. */
  private first = false;

  constructor(
    readonly out: JsonBytes,
    readonly bytes: Uint8Array,
  ) {}

  /** Ends a cell. */
  tab(): this {
    this.out.byte(0x09);
    return this;
  }

  /** A string field's bytes, or the empty string when it is absent. */
  text(r: Range | undefined): this {
    if (r !== undefined) tsvString(this.out, this.bytes, r.start, r.end);
    return this;
  }

  /** Plain ASCII with nothing to escape: names of enums and calls, numbers. */
  ascii(s: string): this {
    this.out.ascii7(s);
    return this;
  }

  /** A DateTime64 value, or NULL. */
  dateTime(ms: number | undefined): this {
    return this.ascii(ms === undefined ? '\\N' : msToDateTime64(ms));
  }

  /** A number, or NULL when it is absent or not finite. */
  number(value: number | undefined): this {
    return this.ascii(value === undefined || !Number.isFinite(value) ? '\\N' : String(value));
  }

  /** A Struct's JSON text, or `{}` when it is absent. */
  bag(r: Range | undefined): this {
    const from = this.out.n;
    if (r === undefined) this.out.ascii7('{}');
    else writeStruct(this.out, this.bytes, r.start, r.end);
    tsvEscapeWritten(this.out, from);
    return this;
  }

  /** Opens a JSON object. */
  open(): void {
    this.out.byte(0x7b);
    this.first = true;
  }

  /** Closes a JSON object. */
  close(): void {
    this.out.byte(0x7d);
    this.first = false;
  }

  /** Starts a JSON member. */
  member(name: string): void {
    let bytes = MEMBERS.get(name);
    if (bytes === undefined) {
      bytes = Buffer.from(`,"${name}":`, 'latin1');
      MEMBERS.set(name, bytes);
    }
    const { out } = this;
    out.room(bytes.length);
    for (let i = this.first ? 1 : 0; i < bytes.length; i++) out.buf[out.n++] = bytes[i];
    this.first = false;
  }

  /** A string field's bytes as a JSON string. */
  jsonText(r: Range): void {
    this.out.utf8String(this.bytes, r.start, r.end);
  }
}

/** Proto3 JSON names of a message's fields, by field number; a nested message has a table of its string fields. */
interface JsonNames {
  readonly names: readonly (string | undefined)[];
  readonly nested?: { readonly [field: number]: JsonNames };
}

/** The JSON names of the message with field numbers `numbers`, and the tables of its `nested` message fields. */
function jsonNames(numbers: FieldNumbers, nested?: JsonNames['nested']): JsonNames {
  const names: string[] = [];
  for (const [name, field] of Object.entries(numbers)) names[field] = name;
  return { names, nested };
}

/** The names the context column is written with: Context's, and those of its messages. */
const CONTEXT_NAMES = jsonNames(CONTEXT, {
  [CONTEXT.library]: jsonNames(CONTEXT_LIBRARY),
  [CONTEXT.device]: jsonNames(CONTEXT_DEVICE),
  [CONTEXT.os]: jsonNames(CONTEXT_OS),
  [CONTEXT.app]: jsonNames(CONTEXT_APP),
  [CONTEXT.campaign]: jsonNames(CONTEXT_CAMPAIGN),
});

/**
 * Writes a message in proto3 JSON as ts-proto's `toJSON` gives it: fields in
 * declaration (here field-number) order, empty strings omitted, a present
 * nested message as an object even when empty.
 */
function writeMessage(reader: BinaryReader, w: RowWriter, r: Range, spec: JsonNames): void {
  const values: (Range | undefined)[] = [];
  fields(reader, r, (field, wireType) => {
    if (spec.names[field] === undefined || !isLength(wireType)) return false;
    values[field] = range(reader);
    return true;
  });
  w.open();
  for (let field = 1; field < values.length; field++) {
    const value = values[field];
    const nested = spec.nested?.[field];
    if (value === undefined || (nested === undefined && value.end === value.start)) continue;
    w.member(spec.names[field] as string);
    if (nested === undefined) w.jsonText(value);
    else writeMessage(reader, w, value, nested);
  }
  w.close();
}

/** What the envelope around a record says. */
interface EnvelopeFacts {
  sourceId: string;
  receivedMs: number | undefined;
  timestampMs: number | undefined;
  sentMs: number | undefined;
  record: Range | undefined;
}

/** What the record says besides its kind. */
interface RecordFacts {
  eventId: Range | undefined;
  timestampMs: number | undefined;
  kind: { readonly event: boolean; readonly range: Range } | undefined;
}

const CALLS = ['track', 'identify', 'alias', 'group', 'consent', 'page'] as const;
type Call = (typeof CALLS)[number];
/** Each call by its field number in BehavioralEvent. */
const CALL_OF_FIELD: { readonly [field: number]: Call } = Object.fromEntries(CALLS.map((call) => [BEHAVIORAL_EVENT[call], call]));
/** Each call's stored string fields, and its Struct field; identify's user_hash is skipped: never stored (docs/identity.md). */
const CALL_FIELDS: { readonly [C in Call]: { readonly texts: readonly number[]; readonly struct?: number } } = {
  track: { texts: [TRACK_CALL.name], struct: TRACK_CALL.data },
  identify: { texts: [], struct: IDENTIFY_CALL.userAttributes },
  alias: { texts: [ALIAS_CALL.anotherUserId] },
  group: { texts: [], struct: GROUP_CALL.accountAttributes },
  consent: { texts: [CONSENT_CALL.category, CONSENT_CALL.source, CONSENT_CALL.message, CONSENT_CALL.email] },
  page: { texts: [PAGE_CALL.url, PAGE_CALL.title, PAGE_CALL.referrer, PAGE_CALL.path], struct: PAGE_CALL.data },
};
/** BehavioralEvent's ids, in the order of their columns. */
const EVENT_IDS: readonly number[] = [BEHAVIORAL_EVENT.profileId, BEHAVIORAL_EVENT.userId, BEHAVIORAL_EVENT.sessionId, BEHAVIORAL_EVENT.accountId, BEHAVIORAL_EVENT.pageId];
/** ProductRecord's string fields, each stored in its column as it is. */
const PRODUCT_TEXTS: readonly number[] = [
  PRODUCT_RECORD.productId,
  PRODUCT_RECORD.profileId,
  PRODUCT_RECORD.userId,
  PRODUCT_RECORD.title,
  PRODUCT_RECORD.description,
  PRODUCT_RECORD.url,
  PRODUCT_RECORD.imageLink,
  PRODUCT_RECORD.currency,
  PRODUCT_RECORD.brand,
  PRODUCT_RECORD.category,
];
/** Whether each field number is one of `fields`: a lookup that costs a visit less than `includes` does. */
function isOneOf(fields: readonly number[]): readonly boolean[] {
  const is: boolean[] = [];
  for (const field of fields) is[field] = true;
  return is;
}
const IS_EVENT_ID = isOneOf(EVENT_IDS);
const IS_PRODUCT_TEXT = isOneOf(PRODUCT_TEXTS);
const CONSENT_ACTIONS = ['', 'accept', 'reject'];
const AVAILABILITY = ['', 'in_stock', 'out_of_stock', 'preorder', 'backorder'];

/** Writes the cells of `call`, whose message is in `r`, from the column `call` to `page_path`, each with its tab. */
function writeCall(reader: BinaryReader, w: RowWriter, call: Call, r: Range): void {
  const spec = CALL_FIELDS[call];
  const texts: (Range | undefined)[] = [];
  let data: Range | undefined;
  let action = 0;
  let validUntil: number | undefined;
  fields(reader, r, (field, wireType) => {
    if (field === spec.struct && isLength(wireType)) data = range(reader);
    else if (spec.texts.includes(field) && isLength(wireType)) texts[field] = range(reader);
    else if (call === 'consent' && field === CONSENT_CALL.validUntil && isLength(wireType)) validUntil = timestampMs(reader, range(reader));
    else if (call === 'consent' && field === CONSENT_CALL.action && isVarint(wireType)) action = reader.int32();
    else return false;
    return true;
  });
  /** String field `field` of the call when it is `of`, else the empty string. */
  const text = (of: Call, field: number) => w.text(call === of ? texts[field] : undefined).tab();
  const bag = (...of: Call[]) => w.bag(of.includes(call) ? data : undefined).tab();
  w.ascii(call).tab();
  text('track', TRACK_CALL.name);
  text('alias', ALIAS_CALL.anotherUserId);
  bag('track', 'page');
  bag('identify');
  bag('group');
  w.ascii(call === 'consent' ? (CONSENT_ACTIONS[action] ?? '') : '').tab();
  text('consent', CONSENT_CALL.category);
  w.dateTime(call === 'consent' ? validUntil : undefined).tab();
  text('consent', CONSENT_CALL.source);
  text('consent', CONSENT_CALL.message);
  text('consent', CONSENT_CALL.email);
  text('page', PAGE_CALL.url);
  text('page', PAGE_CALL.title);
  text('page', PAGE_CALL.referrer);
  text('page', PAGE_CALL.path);
}

/** Writes the `events` row of a behavioral event, in EVENT_COLUMNS order; returns its partition. */
function writeEvent(reader: BinaryReader, w: RowWriter, env: EnvelopeFacts, rec: RecordFacts, r: Range, seq: number): number {
  const ids: (Range | undefined)[] = [];
  let context: Range | undefined;
  let call: { call: Call; range: Range } | undefined;
  fields(reader, r, (field, wireType) => {
    if (!isLength(wireType)) return false;
    if (IS_EVENT_ID[field]) ids[field] = range(reader);
    else if (field === BEHAVIORAL_EVENT.context) context = range(reader);
    else if (CALL_OF_FIELD[field] !== undefined) call = { call: CALL_OF_FIELD[field], range: range(reader) };
    else return false;
    return true;
  });
  if (call === undefined) throw new InvalidEnvelopeError('the event has no call');
  const received = env.receivedMs ?? 0;
  const timestamp = env.timestampMs ?? received;
  const original = rec.timestampMs ?? timestamp;
  tsvText(w.out, env.sourceId);
  w.tab().text(rec.eventId).tab();
  writeCall(reader, w, call.call, call.range);
  w.dateTime(timestamp).tab().dateTime(original).tab().dateTime(received).tab().dateTime(env.sentMs).tab();
  for (const field of EVENT_IDS) w.text(ids[field]).tab();
  const from = w.out.n;
  if (context === undefined) w.out.ascii7('{}');
  else writeMessage(reader, w, context, CONTEXT_NAMES);
  tsvEscapeWritten(w.out, from);
  w.tab().number(seq);
  const date = new Date(original);
  return date.getUTCFullYear() * 100 + date.getUTCMonth() + 1;
}

/** Writes the `products` row of a product record, in PRODUCT_COLUMNS order. */
function writeProduct(reader: BinaryReader, w: RowWriter, bytes: Uint8Array, env: EnvelopeFacts, rec: RecordFacts, r: Range, seq: number): void {
  const texts: (Range | undefined)[] = [];
  const tags: Range[] = [];
  let price: number | undefined;
  let rating: number | undefined;
  let availability = 0;
  let data: Range | undefined;
  fields(reader, r, (field, wireType) => {
    if (IS_PRODUCT_TEXT[field] && isLength(wireType)) texts[field] = range(reader);
    else if (field === PRODUCT_RECORD.tags && isLength(wireType)) tags.push(range(reader));
    else if (field === PRODUCT_RECORD.data && isLength(wireType)) data = range(reader);
    else if (field === PRODUCT_RECORD.price && wireType === WireType.Bit64) price = reader.double();
    else if (field === PRODUCT_RECORD.rating && wireType === WireType.Bit64) rating = reader.double();
    else if (field === PRODUCT_RECORD.availability && isVarint(wireType)) availability = reader.int32();
    else return false;
    return true;
  });
  const received = env.receivedMs ?? 0;
  /** String field `field`'s cell. */
  const text = (field: number) => w.text(texts[field]).tab();
  tsvText(w.out, env.sourceId);
  w.tab();
  text(PRODUCT_RECORD.productId);
  w.text(rec.eventId).tab();
  text(PRODUCT_RECORD.profileId);
  text(PRODUCT_RECORD.userId);
  text(PRODUCT_RECORD.title);
  text(PRODUCT_RECORD.description);
  text(PRODUCT_RECORD.url);
  text(PRODUCT_RECORD.imageLink);
  w.number(price).tab();
  text(PRODUCT_RECORD.currency);
  text(PRODUCT_RECORD.brand);
  text(PRODUCT_RECORD.category);
  w.out.byte(0x5b);
  tags.forEach((tag, i) => {
    if (i > 0) w.out.byte(0x2c);
    tsvString(w.out, bytes, tag.start, tag.end, true);
  });
  w.out.byte(0x5d);
  w.tab()
    .ascii(AVAILABILITY[availability] ?? '')
    .tab()
    .number(rating)
    .tab()
    .bag(data)
    .tab();
  w.dateTime(env.timestampMs ?? received)
    .tab()
    .dateTime(received)
    .tab()
    .number(seq);
}

/** The envelope's own fields. */
function envelopeFacts(reader: BinaryReader, bytes: Uint8Array): EnvelopeFacts {
  const env: EnvelopeFacts = { sourceId: '', receivedMs: undefined, timestampMs: undefined, sentMs: undefined, record: undefined };
  fields(reader, { start: 0, end: bytes.length }, (field, wireType) => {
    if (!isLength(wireType)) return false;
    if (field === ENVELOPE.record) env.record = range(reader);
    else if (field === ENVELOPE.sourceId) env.sourceId = reader.string();
    else if (field === ENVELOPE.receivedAt) env.receivedMs = timestampMs(reader, range(reader));
    else if (field === ENVELOPE.timestamp) env.timestampMs = timestampMs(reader, range(reader));
    else if (field === ENVELOPE.sentAt) env.sentMs = timestampMs(reader, range(reader));
    else return false;
    return true;
  });
  return env;
}

/** The record's id, timestamp and kind. */
function recordFacts(reader: BinaryReader, r: Range): RecordFacts {
  const rec: RecordFacts = { eventId: undefined, timestampMs: undefined, kind: undefined };
  fields(reader, r, (field, wireType) => {
    if (!isLength(wireType)) return false;
    if (field === RECORD.eventId) rec.eventId = range(reader);
    else if (field === RECORD.timestamp) rec.timestampMs = timestampMs(reader, range(reader));
    else if (field === RECORD.event || field === RECORD.product) rec.kind = { event: field === RECORD.event, range: range(reader) };
    else return false;
    return true;
  });
  return rec;
}

/**
 * Writes the row an envelope's bytes become, with its newline, into the
 * output `rows` gives for its table. Throws InvalidEnvelopeError when they
 * hold no record, kind or call, and the reader's or the Struct writer's
 * error when they are not a well-formed envelope; the output is then as it
 * was.
 */
export function envelopeRow(bytes: Uint8Array, seq: number, rows: RowSink): EncodedRow {
  const reader = new BinaryReader(bytes);
  const env = envelopeFacts(reader, bytes);
  if (env.record === undefined) throw new InvalidEnvelopeError('the envelope holds no record');
  const rec = recordFacts(reader, env.record);
  if (rec.kind === undefined) throw new InvalidEnvelopeError('the envelope holds no record');
  const table = rec.kind.event ? 'events' : 'products';
  const out = rows.begin(table, mostBytes(bytes));
  const start = out.n;
  try {
    const w = new RowWriter(out, bytes);
    let partition = 0;
    if (rec.kind.event) partition = writeEvent(reader, w, env, rec, rec.kind.range, seq);
    else writeProduct(reader, w, bytes, env, rec, rec.kind.range, seq);
    out.byte(0x0a);
    return { table, bytes: out.buf.subarray(start, out.n), partition, sourceId: env.sourceId };
  } catch (error) {
    out.n = start;
    throw error;
  }
}

/** The event id of the record in an envelope's bytes ('' when it has none), for the few rows whose storage must be looked up. */
export function envelopeEventId(bytes: Uint8Array): string {
  const reader = new BinaryReader(bytes);
  const env = envelopeFacts(reader, bytes);
  const id = env.record === undefined ? undefined : recordFacts(reader, env.record).eventId;
  return id === undefined ? '' : Buffer.from(bytes.buffer, bytes.byteOffset + id.start, id.end - id.start).toString('utf8');
}
