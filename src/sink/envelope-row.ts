/**
 * An Envelope's bytes into one JSONEachRow line of its table, read straight
 * off the wire and written as bytes: no Envelope object, no JS string per
 * field (a string field's UTF-8 bytes are copied, escaped where JSON needs
 * it), and free-form Structs go from their bytes to JSON without becoming JS
 * objects (src/contract/wire/struct-json.ts). A bag is inlined as a JSON
 * object; ClickHouse reads an object into a String column as its raw text
 * (`input_format_json_read_objects_as_strings`), so it is stored exactly as
 * the producer's value reads.
 *
 * A behavioral event becomes one `events` line, a product record one
 * `products` line (it never reaches `profiles`). Columns match
 * src/storage/schema.ts. Decoding follows ts-proto's, which the gateway
 * validated with: a field sent twice keeps its last value, a message field
 * sent twice its last message, a oneof its last member; unknown fields and
 * known ones of another wire type are skipped. The context column is the
 * Context in proto3 JSON.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { JsonBytes } from '../contract/wire/json-bytes';
import { writeStruct } from '../contract/wire/struct-json';
import { msToDateTime64 } from '../storage/datetime';

/** A row's table. */
export type RowTable = 'events' | 'products';

/** Where rows are written: the output for a row of `table` that takes at most `most` bytes. */
export interface RowSink {
  begin(table: RowTable, most: number): JsonBytes;
}

/** The row of an envelope. */
export interface EncodedRow {
  readonly table: RowTable;
  /** The row as one JSONEachRow line, newline included: a view of the output it was written to. */
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

/** The most bytes a row takes: JSON writes at most 6 bytes for one byte of the envelope (`\u00XX`), plus the column names and dates. */
const mostBytes = (envelope: Uint8Array): number => 6 * envelope.length + 2048;

/** Calls `visit` for each field of the message in `range`; `visit` must consume the field's value or return false to skip it. */
function fields(reader: BinaryReader, range: Range, visit: (field: number, wireType: WireType) => boolean): void {
  reader.pos = range.start;
  while (reader.pos < range.end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wireType = (tag & 7) as WireType;
    if (field === 0) throw new Error(`illegal tag ${tag}`);
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

/** `,"name":` as bytes, by name, made once. */
const MEMBERS = new Map<string, Uint8Array>();

/** Writes the row of one envelope: JSON objects of members, each `"name":value`. */
class RowWriter {
  /** Whether the next member is the first of its object. */
  private first = false;

  constructor(
    readonly out: JsonBytes,
    readonly bytes: Uint8Array,
  ) {}

  /** Opens an object. */
  open(): void {
    this.out.byte(0x7b);
    this.first = true;
  }

  /** Closes an object. */
  close(): void {
    this.out.byte(0x7d);
    this.first = false;
  }

  /** Starts a member. */
  name(name: string): this {
    let member = MEMBERS.get(name);
    if (member === undefined) {
      member = Buffer.from(`,"${name}":`, 'latin1');
      MEMBERS.set(name, member);
    }
    const { out } = this;
    out.room(member.length);
    for (let i = this.first ? 1 : 0; i < member.length; i++) out.buf[out.n++] = member[i];
    this.first = false;
    return this;
  }

  /** A string field's bytes as a JSON string, or "" when it is absent. */
  text(r: Range | undefined): void {
    if (r === undefined) this.out.ascii7('""');
    else this.out.utf8String(this.bytes, r.start, r.end);
  }

  /** A DateTime64 value, or null. */
  dateTime(ms: number | undefined): void {
    this.out.ascii7(ms === undefined ? 'null' : `"${msToDateTime64(ms)}"`);
  }

  /** A number, or null when it is absent or not finite. */
  number(value: number | undefined): void {
    this.out.ascii7(value === undefined || !Number.isFinite(value) ? 'null' : String(value));
  }

  /** A Struct's JSON, or `{}` when it is absent. */
  bag(r: Range | undefined): void {
    if (r === undefined) this.out.ascii7('{}');
    else writeStruct(this.out, this.bytes, r.start, r.end);
  }
}

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
 * Writes a message in proto3 JSON as ts-proto's `toJSON` gives it: fields in
 * declaration (here field-number) order, empty strings omitted, a present
 * nested message as an object even when empty.
 */
function writeMessage(reader: BinaryReader, w: RowWriter, r: Range, spec: JsonNames): void {
  const values: (Range | undefined)[] = [];
  fields(reader, r, (field, wireType) => {
    if (field < 1 || field > spec.names.length || !isLength(wireType)) return false;
    values[field] = range(reader);
    return true;
  });
  w.open();
  for (let field = 1; field < values.length; field++) {
    const value = values[field];
    const nested = spec.nested?.[field];
    if (value === undefined || (nested === undefined && value.end === value.start)) continue;
    w.name(spec.names[field - 1]);
    if (nested === undefined) w.text(value);
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

/** Writes the columns of the call in `r` (field `callField` of BehavioralEvent). */
function writeCall(reader: BinaryReader, w: RowWriter, callField: number, r: Range): void {
  const call = CALLS[callField - 10];
  const spec = CALL_FIELDS[call];
  const texts: (Range | undefined)[] = [];
  let data: Range | undefined;
  let action = 0;
  let validUntil: number | undefined;
  fields(reader, r, (field, wireType) => {
    if (field === spec.struct && isLength(wireType)) data = range(reader);
    else if (spec.texts.includes(field) && isLength(wireType)) texts[field] = range(reader);
    else if (call === 'consent' && field === CONSENT_VALID_UNTIL && isLength(wireType)) validUntil = timestampMs(reader, range(reader));
    else if (call === 'consent' && field === CONSENT_ACTION && isVarint(wireType)) action = reader.int32();
    else return false;
    return true;
  });
  /** String field `field` of the call when it is `of`, else the empty string. */
  const text = (name: string, of: Call, field: number) => w.name(name).text(call === of ? texts[field] : undefined);
  const bag = (name: string, ...of: Call[]) => w.name(name).bag(of.includes(call) ? data : undefined);
  w.name('call').out.ascii7(`"${call}"`);
  text('name', 'track', 1);
  text('another_user_id', 'alias', 1);
  bag('properties', 'track', 'page');
  bag('user_attributes', 'identify');
  bag('account_attributes', 'group');
  w.name('consent_action').out.ascii7(`"${call === 'consent' ? (CONSENT_ACTIONS[action] ?? '') : ''}"`);
  text('consent_category', 'consent', 2);
  w.name('consent_valid_until').dateTime(call === 'consent' ? validUntil : undefined);
  text('consent_source', 'consent', 4);
  text('consent_message', 'consent', 5);
  text('consent_email', 'consent', 6);
  text('page_url', 'page', 1);
  text('page_title', 'page', 2);
  text('page_referrer', 'page', 3);
  text('page_path', 'page', 4);
}

const ID_COLUMNS = ['profile_id', 'user_id', 'session_id', 'account_id', 'page_id'];

/** Writes the `events` row of a behavioral event; returns its partition. */
function writeEvent(reader: BinaryReader, w: RowWriter, env: EnvelopeFacts, rec: RecordFacts, r: Range, seq: number): number {
  const ids: (Range | undefined)[] = [];
  let context: Range | undefined;
  let call: { field: number; range: Range } | undefined;
  fields(reader, r, (field, wireType) => {
    if (!isLength(wireType)) return false;
    if (field >= 1 && field <= 5) ids[field] = range(reader);
    else if (field === 6) context = range(reader);
    else if (field >= 10 && field <= 15) call = { field, range: range(reader) };
    else return false;
    return true;
  });
  if (call === undefined) throw new InvalidEnvelopeError('the event has no call');
  const received = env.receivedMs ?? 0;
  const timestamp = env.timestampMs ?? received;
  const original = rec.timestampMs ?? timestamp;
  w.name('source_id').out.string(env.sourceId);
  w.name('event_id').text(rec.eventId);
  writeCall(reader, w, call.field, call.range);
  w.name('timestamp').dateTime(timestamp);
  w.name('original_timestamp').dateTime(original);
  w.name('received_at').dateTime(received);
  w.name('sent_at').dateTime(env.sentMs);
  ID_COLUMNS.forEach((column, i) => w.name(column).text(ids[i + 1]));
  w.name('context');
  if (context === undefined) w.out.ascii7('{}');
  else writeMessage(reader, w, context, CONTEXT);
  w.name('stream_seq').number(seq);
  const date = new Date(original);
  return date.getUTCFullYear() * 100 + date.getUTCMonth() + 1;
}

/** Writes the `products` row of a product record. */
function writeProduct(reader: BinaryReader, w: RowWriter, env: EnvelopeFacts, rec: RecordFacts, r: Range, seq: number): void {
  const texts: (Range | undefined)[] = [];
  const tags: Range[] = [];
  let price: number | undefined;
  let rating: number | undefined;
  let availability = 0;
  let data: Range | undefined;
  fields(reader, r, (field, wireType) => {
    if (field === 12 && isLength(wireType)) tags.push(range(reader));
    else if (field === 15 && isLength(wireType)) data = range(reader);
    else if (field === 8 && wireType === WireType.Bit64) price = reader.double();
    else if (field === 14 && wireType === WireType.Bit64) rating = reader.double();
    else if (field === 13 && isVarint(wireType)) availability = reader.int32();
    else if (field >= 1 && field <= 11 && isLength(wireType)) texts[field] = range(reader);
    else return false;
    return true;
  });
  const received = env.receivedMs ?? 0;
  w.name('source_id').out.string(env.sourceId);
  w.name('product_id').text(texts[1]);
  w.name('event_id').text(rec.eventId);
  w.name('profile_id').text(texts[2]);
  w.name('user_id').text(texts[3]);
  w.name('title').text(texts[4]);
  w.name('description').text(texts[5]);
  w.name('url').text(texts[6]);
  w.name('image_link').text(texts[7]);
  w.name('price').number(price);
  w.name('currency').text(texts[9]);
  w.name('brand').text(texts[10]);
  w.name('category').text(texts[11]);
  w.name('tags').out.byte(0x5b);
  tags.forEach((tag, i) => {
    if (i > 0) w.out.byte(0x2c);
    w.text(tag);
  });
  w.out.byte(0x5d);
  w.name('availability').out.ascii7(`"${AVAILABILITY[availability] ?? ''}"`);
  w.name('rating').number(rating);
  w.name('data').bag(data);
  w.name('updated_at').dateTime(env.timestampMs ?? received);
  w.name('received_at').dateTime(received);
  w.name('stream_seq').number(seq);
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
  const rec: RecordFacts = { eventId: undefined, timestampMs: undefined, kind: undefined };
  fields(reader, r, (field, wireType) => {
    if (!isLength(wireType)) return false;
    if (field === 1) rec.eventId = range(reader);
    else if (field === 2) rec.timestampMs = timestampMs(reader, range(reader));
    else if (field === 3 || field === 4) rec.kind = { event: field === 3, range: range(reader) };
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
    w.open();
    let partition = 0;
    if (rec.kind.event) partition = writeEvent(reader, w, env, rec, rec.kind.range, seq);
    else writeProduct(reader, w, env, rec, rec.kind.range, seq);
    w.close();
    out.byte(0x0a);
    return { table, bytes: out.buf.subarray(start, out.n), partition, sourceId: env.sourceId };
  } catch (error) {
    out.n = start;
    throw error;
  }
}
