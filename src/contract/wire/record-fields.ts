/**
 * A record's fields without its free-form payload: the gateway's decoder for
 * well-formed records. It reads what the generated `Record.decode` reads and
 * makes the same Record of it, except that the one Struct a record can carry
 * (track data, identify user_attributes, group account_attributes, page data
 * or product data) is left undecoded and its place in the bytes returned
 * instead, for struct-scan.ts to check. The envelope carries the producer's
 * bytes, so nothing downstream needs the payload as objects.
 *
 * It answers undefined, and the caller takes the generated decoder, for
 * anything the generated decoder reads in its own way or may refuse: bytes
 * that are truncated or that the wire cursor (wire-cursor.ts) refuses as
 * malformed, a string that is not UTF-8, or more than one payload field (the
 * generated decoder decodes, and may refuse, the ones a later field
 * overrides). Timestamps, the context, alias and consent calls hold no
 * payload and are read by the generated decoders.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { Timestamp } from '../../gen/google/protobuf/timestamp';
import {
  AliasCall,
  ConsentCall,
  Context,
  type BehavioralEvent,
  type GroupCall,
  type IdentifyCall,
  type PageCall,
  type ProductRecord,
  type Record,
  type TrackCall,
} from '../../gen/tributary/ingest/v1/record';
import { BEHAVIORAL_EVENT, GROUP_CALL, IDENTIFY_CALL, PAGE_CALL, PRODUCT_RECORD, RECORD, TRACK_CALL } from './field-numbers';
import { assertWithin, fieldEnd, skipField, tagsOf } from './wire-cursor';

/** Where a record's payload lies in its bytes, and how many messages of the record enclose it. */
export interface PayloadRange {
  readonly start: number;
  readonly end: number;
  readonly enclosing: number;
}

/** A record whose payload field is undefined, and where that payload is in the bytes, if it has one. */
export interface RecordFields {
  readonly record: Record;
  readonly payload: PayloadRange | undefined;
}

// The tags read, by message. Each method takes its message's table into a
// local: a module constant is loaded again at every case, a local once.
const RECORD_TAGS = tagsOf(RECORD);
const EVENT_TAGS = tagsOf(BEHAVIORAL_EVENT);
const TRACK_TAGS = tagsOf(TRACK_CALL);
const PAGE_TAGS = tagsOf(PAGE_CALL);
const IDENTIFY_TAGS = tagsOf(IDENTIFY_CALL);
const GROUP_TAGS = tagsOf(GROUP_CALL);
const PRODUCT_TAGS = tagsOf(PRODUCT_RECORD, { price: WireType.Bit64, availability: WireType.Varint, rating: WireType.Bit64 });

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads `bytes` as a Record with its payload left encoded, or undefined when the generated decoder must read them. */
export function decodeRecordFields(bytes: Uint8Array): RecordFields | undefined {
  const reader = new FieldReader(bytes);
  try {
    const record = reader.record();
    return { record, payload: reader.payload };
  } catch {
    return undefined;
  }
}

/** Thrown at well-formed bytes that the generated decoder reads in its own way; caught by decodeRecordFields, as the cursor's errors at malformed ones are. */
class NotPlain extends Error {}

/** One read of one record. */
class FieldReader {
  private readonly reader: BinaryReader;
  payload: PayloadRange | undefined;

  constructor(bytes: Uint8Array) {
    this.reader = new BinaryReader(bytes, (b) => strict.decode(b));
  }

  record(): Record {
    const r = this.reader;
    const tags = RECORD_TAGS;
    const end = r.len;
    const message: Record = { eventId: '', timestamp: undefined, kind: undefined };
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === tags.eventId) message.eventId = r.string();
      else if (tag === tags.timestamp) message.timestamp = this.timestamp(end);
      else if (tag === tags.event) message.kind = { $case: 'event', value: this.event(fieldEnd(r, end)) };
      else if (tag === tags.product) message.kind = { $case: 'product', value: this.product(fieldEnd(r, end)) };
      else skipField(r, tag, end);
      assertWithin(r, end);
    }
    return message;
  }

  private event(end: number): BehavioralEvent {
    const r = this.reader;
    const tags = EVENT_TAGS;
    const message: BehavioralEvent = { profileId: '', userId: '', sessionId: '', accountId: '', pageId: '', context: undefined, call: undefined };
    // The calls' messages open inside Record and BehavioralEvent.
    const enclosing = 3;
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag) {
        case tags.profileId:
          message.profileId = r.string();
          break;
        case tags.userId:
          message.userId = r.string();
          break;
        case tags.sessionId:
          message.sessionId = r.string();
          break;
        case tags.accountId:
          message.accountId = r.string();
          break;
        case tags.pageId:
          message.pageId = r.string();
          break;
        case tags.context:
          message.context = this.generated(Context.decode, end);
          break;
        case tags.track:
          message.call = { $case: 'track', value: this.track(fieldEnd(r, end), enclosing) };
          break;
        case tags.identify:
          message.call = { $case: 'identify', value: this.identify(fieldEnd(r, end), enclosing) };
          break;
        case tags.alias:
          message.call = { $case: 'alias', value: this.generated(AliasCall.decode, end) };
          break;
        case tags.group:
          message.call = { $case: 'group', value: this.group(fieldEnd(r, end), enclosing) };
          break;
        case tags.consent:
          message.call = { $case: 'consent', value: this.generated(ConsentCall.decode, end) };
          break;
        case tags.page:
          message.call = { $case: 'page', value: this.page(fieldEnd(r, end), enclosing) };
          break;
        default:
          skipField(r, tag, end);
      }
      assertWithin(r, end);
    }
    return message;
  }

  private track(end: number, enclosing: number): TrackCall {
    const r = this.reader;
    const tags = TRACK_TAGS;
    const message: TrackCall = { name: '', data: undefined };
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === tags.name) message.name = r.string();
      else if (tag === tags.data) this.takePayload(end, enclosing);
      else skipField(r, tag, end);
      assertWithin(r, end);
    }
    return message;
  }

  private page(end: number, enclosing: number): PageCall {
    const r = this.reader;
    const tags = PAGE_TAGS;
    const message: PageCall = { url: '', title: '', referrer: '', path: '', data: undefined };
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === tags.url) message.url = r.string();
      else if (tag === tags.title) message.title = r.string();
      else if (tag === tags.referrer) message.referrer = r.string();
      else if (tag === tags.path) message.path = r.string();
      else if (tag === tags.data) this.takePayload(end, enclosing);
      else skipField(r, tag, end);
      assertWithin(r, end);
    }
    return message;
  }

  private identify(end: number, enclosing: number): IdentifyCall {
    const r = this.reader;
    const tags = IDENTIFY_TAGS;
    const message: IdentifyCall = { userAttributes: undefined, userHash: undefined };
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === tags.userAttributes) this.takePayload(end, enclosing);
      else if (tag === tags.userHash) message.userHash = r.string();
      else skipField(r, tag, end);
      assertWithin(r, end);
    }
    return message;
  }

  private group(end: number, enclosing: number): GroupCall {
    const r = this.reader;
    const tags = GROUP_TAGS;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === tags.accountAttributes) this.takePayload(end, enclosing);
      else skipField(r, tag, end);
      assertWithin(r, end);
    }
    return { accountAttributes: undefined };
  }

  private product(end: number): ProductRecord {
    const r = this.reader;
    const tags = PRODUCT_TAGS;
    const message: ProductRecord = {
      productId: '',
      profileId: undefined,
      userId: undefined,
      title: '',
      description: '',
      url: '',
      imageLink: '',
      price: undefined,
      currency: '',
      brand: '',
      category: '',
      tags: [],
      availability: 0,
      rating: undefined,
      data: undefined,
    };
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag) {
        case tags.productId:
          message.productId = r.string();
          break;
        case tags.profileId:
          message.profileId = r.string();
          break;
        case tags.userId:
          message.userId = r.string();
          break;
        case tags.title:
          message.title = r.string();
          break;
        case tags.description:
          message.description = r.string();
          break;
        case tags.url:
          message.url = r.string();
          break;
        case tags.imageLink:
          message.imageLink = r.string();
          break;
        case tags.price:
          message.price = r.double();
          break;
        case tags.currency:
          message.currency = r.string();
          break;
        case tags.brand:
          message.brand = r.string();
          break;
        case tags.category:
          message.category = r.string();
          break;
        case tags.tags:
          message.tags.push(r.string());
          break;
        case tags.availability:
          message.availability = r.int32() as ProductRecord['availability'];
          break;
        case tags.rating:
          message.rating = r.double();
          break;
        case tags.data:
          // ProductRecord opens inside Record.
          this.takePayload(end, 2);
          break;
        default:
          skipField(r, tag, end);
      }
      assertWithin(r, end);
    }
    return message;
  }

  /** Notes where the payload field at the reader lies and steps over it; a second payload is not plain. */
  private takePayload(end: number, enclosing: number): void {
    const stop = fieldEnd(this.reader, end);
    if (this.payload !== undefined) throw new NotPlain();
    this.payload = { start: this.reader.pos, end: stop, enclosing };
    this.reader.pos = stop;
  }

  /** A Timestamp as the generated decoder makes it a Date. */
  private timestamp(end: number): Date {
    const t = this.generated(Timestamp.decode, end);
    return new Date(t.seconds * 1_000 + t.nanos / 1_000_000);
  }

  /** A message without payload, read by its generated decoder, which must end where its length says. */
  private generated<T>(decode: (reader: BinaryReader, length: number) => T, end: number): T {
    const stop = fieldEnd(this.reader, end);
    const value = decode(this.reader, stop - this.reader.pos);
    if (this.reader.pos !== stop) throw new NotPlain();
    return value;
  }
}
