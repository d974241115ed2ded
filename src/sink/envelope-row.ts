/**
 * An Envelope's bytes into one JSONEachRow line of its table, read straight
 * off the wire: no Envelope object, and free-form Structs go from their bytes
 * to JSON text without becoming JS objects (src/contract/wire/struct-json.ts).
 * The text is inlined as a JSON object; ClickHouse reads an object into a
 * String column as its raw text (`input_format_json_read_objects_as_strings`),
 * so a bag is stored exactly as the producer's value reads.
 *
 * A behavioral event becomes one `events` line, a product record one
 * `products` line (it never reaches `profiles`). Columns match
 * src/storage/schema.ts. Decoding follows ts-proto's, which the gateway
 * validated with: a field sent twice keeps its last value, a message field
 * sent twice its last message, a oneof its last member; unknown fields are
 * skipped. The context column is the Context in proto3 JSON.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { structJson } from '../contract/wire/struct-json';
import { msToDateTime64 } from '../storage/datetime';

/** A row ready for its insert. */
export interface EncodedRow {
  readonly table: 'events' | 'products';
  /** The row as one JSONEachRow line, without the newline. */
  readonly line: string;
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

/** What JSON.stringify would escape in a string (surrogates included, to leave lone ones to it). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as JSON: the common plain string without JSON.stringify's cost. */
const str = (value: string): string => (NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`);
const num = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? 'null' : String(value));

/** Calls `visit` for each field of the message in `range`; `visit` must consume the field's value or return false to skip it. */
function fields(reader: BinaryReader, range: Range, visit: (field: number, wireType: WireType) => boolean): void {
  reader.pos = range.start;
  while (reader.pos < range.end) {
    const [field, wireType] = reader.tag();
    if (!visit(field, wireType)) reader.skip(wireType, field);
  }
  if (reader.pos !== range.end) throw new Error('a field runs past the end of its message');
}

/** The range of the length-delimited value at the reader, which it skips. */
function range(reader: BinaryReader): Range {
  const length = reader.uint32();
  const start = reader.pos;
  const end = start + length;
  if (end > reader.len) throw new Error('a message runs past the end of the envelope');
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
    if (field === 1 && isVarint(wireType)) seconds = Number(reader.int64());
    else if (field === 2 && isVarint(wireType)) nanos = reader.int32();
    else return false;
    return true;
  });
  return seconds * 1000 + nanos / 1_000_000;
}

/** A DateTime64 column's JSON value. */
const dateTime = (ms: number): string => `"${msToDateTime64(ms)}"`;

/** Proto3 JSON names of a message's fields, by field number from 1; a nested message has a table of its string fields. */
interface JsonNames {
  readonly names: readonly string[];
  readonly nested?: { readonly [field: number]: JsonNames };
}

const strings = (...names: string[]): JsonNames => ({ names });

const CONTEXT: JsonNames = {
  names: ['library', 'device', 'os', 'app', 'campaign', 'locale', 'timezone', 'userAgent', 'ip'],
  nested: {
    1: strings('name', 'version'),
    2: strings('id', 'manufacturer', 'model', 'type', 'advertisingId'),
    3: strings('name', 'version'),
    4: strings('name', 'version', 'build', 'namespace'),
    5: strings('name', 'source', 'medium', 'term', 'content'),
  },
};

/**
 * A message in proto3 JSON as ts-proto's `toJSON` gives it: fields in
 * declaration (here field-number) order, empty strings omitted, a present
 * nested message as an object even when empty.
 */
function messageJson(reader: BinaryReader, r: Range, spec: JsonNames): string {
  const values: (string | Range | undefined)[] = [];
  fields(reader, r, (field, wireType) => {
    if (field < 1 || field > spec.names.length || !isLength(wireType)) return false;
    values[field] = spec.nested?.[field] === undefined ? reader.string() : range(reader);
    return true;
  });
  let json = '';
  for (let field = 1; field < values.length; field++) {
    const value = values[field];
    if (value === undefined || value === '') continue;
    const member = typeof value === 'string' ? str(value) : messageJson(reader, value, spec.nested?.[field] as JsonNames);
    json += `${json === '' ? '' : ','}"${spec.names[field - 1]}":${member}`;
  }
  return `{${json}}`;
}

/** The JSON text of a Struct field, or `{}` when it is absent. */
const bag = (bytes: Uint8Array, r: Range | undefined): string => (r === undefined ? '{}' : structJson(bytes, r.start, r.end));

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
  eventId: string;
  timestampMs: number | undefined;
  kind: { readonly event: boolean; readonly range: Range } | undefined;
}

const CALLS = ['track', 'identify', 'alias', 'group', 'consent', 'page'] as const;
type Call = (typeof CALLS)[number];
/** Each call's string fields, and its Struct field. */
const CALL_FIELDS: { readonly [C in Call]: { readonly texts: readonly number[]; readonly struct?: number } } = {
  track: { texts: [1], struct: 2 },
  identify: { texts: [], struct: 1 },
  alias: { texts: [1] },
  group: { texts: [], struct: 1 },
  consent: { texts: [2, 4, 5, 6] },
  page: { texts: [1, 2, 3, 4], struct: 5 },
};
const CONSENT_VALID_UNTIL = 3;
const CONSENT_ACTION = 1;
const CONSENT_ACTIONS = ['', 'accept', 'reject'];
const AVAILABILITY = ['', 'in_stock', 'out_of_stock', 'preorder', 'backorder'];

/** The columns of the call in `r` (field `callField` of BehavioralEvent), as JSON members. */
function callMembers(reader: BinaryReader, bytes: Uint8Array, callField: number, r: Range): string {
  const call = CALLS[callField - 10];
  const spec = CALL_FIELDS[call];
  const texts = new Map<number, string>();
  let data: Range | undefined;
  let action = 0;
  let validUntil: number | undefined;
  fields(reader, r, (field, wireType) => {
    if (field === spec.struct && isLength(wireType)) data = range(reader);
    else if (spec.texts.includes(field) && isLength(wireType)) texts.set(field, reader.string());
    else if (call === 'consent' && field === CONSENT_VALID_UNTIL && isLength(wireType)) validUntil = timestampMs(reader, range(reader));
    else if (call === 'consent' && field === CONSENT_ACTION && isVarint(wireType)) action = reader.int32();
    else return false;
    return true;
  });
  /** String field `field` of the call when it is `of`, else the empty string. */
  const text = (of: Call, field: number) => str(call === of ? (texts.get(field) ?? '') : '');
  const bagOf = (...of: Call[]) => (of.includes(call) ? bag(bytes, data) : '{}');
  return (
    `"call":${str(call)},"name":${text('track', 1)},"another_user_id":${text('alias', 1)}` +
    `,"properties":${bagOf('track', 'page')},"user_attributes":${bagOf('identify')},"account_attributes":${bagOf('group')}` +
    `,"consent_action":${str(call === 'consent' ? (CONSENT_ACTIONS[action] ?? '') : '')},"consent_category":${text('consent', 2)}` +
    `,"consent_valid_until":${call === 'consent' && validUntil !== undefined ? dateTime(validUntil) : 'null'}` +
    `,"consent_source":${text('consent', 4)},"consent_message":${text('consent', 5)},"consent_email":${text('consent', 6)}` +
    `,"page_url":${text('page', 1)},"page_title":${text('page', 2)},"page_referrer":${text('page', 3)},"page_path":${text('page', 4)}`
  );
}

/** The `events` line of a behavioral event. */
function eventLine(reader: BinaryReader, bytes: Uint8Array, env: EnvelopeFacts, rec: RecordFacts, r: Range, seq: number): EncodedRow {
  const ids = ['', '', '', '', ''];
  let context: Range | undefined;
  let call: { field: number; range: Range } | undefined;
  fields(reader, r, (field, wireType) => {
    if (!isLength(wireType)) return false;
    if (field >= 1 && field <= 5) ids[field - 1] = reader.string();
    else if (field === 6) context = range(reader);
    else if (field >= 10 && field <= 15) call = { field, range: range(reader) };
    else return false;
    return true;
  });
  if (call === undefined) throw new InvalidEnvelopeError('the event has no call');
  const received = env.receivedMs ?? 0;
  const timestamp = env.timestampMs ?? received;
  const original = rec.timestampMs ?? timestamp;
  const originalDate = new Date(original);
  const line =
    `{"source_id":${str(env.sourceId)},"event_id":${str(rec.eventId)},${callMembers(reader, bytes, call.field, call.range)}` +
    `,"timestamp":${dateTime(timestamp)},"original_timestamp":${dateTime(original)},"received_at":${dateTime(received)}` +
    `,"sent_at":${env.sentMs === undefined ? 'null' : dateTime(env.sentMs)}` +
    `,"profile_id":${str(ids[0])},"user_id":${str(ids[1])},"session_id":${str(ids[2])},"account_id":${str(ids[3])},"page_id":${str(ids[4])}` +
    `,"context":${context === undefined ? '{}' : messageJson(reader, context, CONTEXT)},"stream_seq":${seq}}`;
  return { table: 'events', line, partition: originalDate.getUTCFullYear() * 100 + originalDate.getUTCMonth() + 1, sourceId: env.sourceId };
}

/** The `products` line of a product record. */
function productLine(reader: BinaryReader, bytes: Uint8Array, env: EnvelopeFacts, rec: RecordFacts, r: Range, seq: number): EncodedRow {
  const texts = new Map<number, string>();
  const tags: string[] = [];
  let price: number | undefined;
  let rating: number | undefined;
  let availability = 0;
  let data: Range | undefined;
  fields(reader, r, (field, wireType) => {
    if (field === 12 && isLength(wireType)) tags.push(reader.string());
    else if (field === 15 && isLength(wireType)) data = range(reader);
    else if (field === 8 && wireType === WireType.Bit64) price = reader.double();
    else if (field === 14 && wireType === WireType.Bit64) rating = reader.double();
    else if (field === 13 && isVarint(wireType)) availability = reader.int32();
    else if (field >= 1 && field <= 11 && isLength(wireType)) texts.set(field, reader.string());
    else return false;
    return true;
  });
  const t = (field: number) => str(texts.get(field) ?? '');
  const received = env.receivedMs ?? 0;
  const line =
    `{"source_id":${str(env.sourceId)},"product_id":${t(1)},"event_id":${str(rec.eventId)},"profile_id":${t(2)},"user_id":${t(3)}` +
    `,"title":${t(4)},"description":${t(5)},"url":${t(6)},"image_link":${t(7)},"price":${num(price)},"currency":${t(9)}` +
    `,"brand":${t(10)},"category":${t(11)},"tags":[${tags.map(str).join(',')}],"availability":${str(AVAILABILITY[availability] ?? '')}` +
    `,"rating":${num(rating)},"data":${bag(bytes, data)},"updated_at":${dateTime(env.timestampMs ?? received)},"received_at":${dateTime(received)},"stream_seq":${seq}}`;
  return { table: 'products', line, partition: 0, sourceId: env.sourceId };
}

/** The envelope's own fields. */
function envelopeFacts(reader: BinaryReader, bytes: Uint8Array): EnvelopeFacts {
  const env: EnvelopeFacts = { sourceId: '', receivedMs: undefined, timestampMs: undefined, sentMs: undefined, record: undefined };
  fields(reader, { start: 0, end: bytes.length }, (field, wireType) => {
    if (!isLength(wireType)) return false;
    if (field === 1) env.record = range(reader);
    else if (field === 2) env.sourceId = reader.string();
    else if (field === 3) env.receivedMs = timestampMs(reader, range(reader));
    else if (field === 4) env.timestampMs = timestampMs(reader, range(reader));
    else if (field === 5) env.sentMs = timestampMs(reader, range(reader));
    else return false;
    return true;
  });
  return env;
}

/** The record's id, timestamp and kind. */
function recordFacts(reader: BinaryReader, r: Range): RecordFacts {
  const rec: RecordFacts = { eventId: '', timestampMs: undefined, kind: undefined };
  fields(reader, r, (field, wireType) => {
    if (!isLength(wireType)) return false;
    if (field === 1) rec.eventId = reader.string();
    else if (field === 2) rec.timestampMs = timestampMs(reader, range(reader));
    else if (field === 3 || field === 4) rec.kind = { event: field === 3, range: range(reader) };
    else return false;
    return true;
  });
  return rec;
}

/**
 * The row an envelope's bytes become. Throws InvalidEnvelopeError when they
 * hold no record, kind or call, and the reader's or the Struct writer's error
 * when they are not a well-formed envelope.
 */
export function envelopeRow(bytes: Uint8Array, seq: number): EncodedRow {
  const reader = new BinaryReader(bytes);
  const env = envelopeFacts(reader, bytes);
  if (env.record === undefined) throw new InvalidEnvelopeError('the envelope holds no record');
  const rec = recordFacts(reader, env.record);
  if (rec.kind === undefined) throw new InvalidEnvelopeError('the envelope holds no record');
  return rec.kind.event ? eventLine(reader, bytes, env, rec, rec.kind.range, seq) : productLine(reader, bytes, env, rec, rec.kind.range, seq);
}
