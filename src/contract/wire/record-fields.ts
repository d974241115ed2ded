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
 * that are malformed (truncated, a field running past its message, tag 0, an
 * end-group tag, wire types 6 and 7), a string that is not UTF-8, or more
 * than one payload field (the generated decoder decodes, and may refuse, the
 * ones a later field overrides). Timestamps, the context, alias and consent
 * calls hold no payload and are read by the generated decoders.
 */
import { BinaryReader } from '@bufbuild/protobuf/wire';
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

/** Thrown at anything the generated decoder reads in its own way; caught by decodeRecordFields. */
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
    const end = r.len;
    const message: Record = { eventId: '', timestamp: undefined, kind: undefined };
    while (r.pos < end) {
      const tag = this.tag();
      if (tag === 10) message.eventId = r.string();
      else if (tag === 18) message.timestamp = this.timestamp(end);
      else if (tag === 26) message.kind = { $case: 'event', value: this.event(this.sub(end)) };
      else if (tag === 34) message.kind = { $case: 'product', value: this.product(this.sub(end)) };
      else this.skip(tag);
      this.within(end);
    }
    return message;
  }

  private event(end: number): BehavioralEvent {
    const r = this.reader;
    const message: BehavioralEvent = { profileId: '', userId: '', sessionId: '', accountId: '', pageId: '', context: undefined, call: undefined };
    // The calls' messages open inside Record and BehavioralEvent.
    const enclosing = 3;
    while (r.pos < end) {
      const tag = this.tag();
      switch (tag) {
        case 10:
          message.profileId = r.string();
          break;
        case 18:
          message.userId = r.string();
          break;
        case 26:
          message.sessionId = r.string();
          break;
        case 34:
          message.accountId = r.string();
          break;
        case 42:
          message.pageId = r.string();
          break;
        case 50:
          message.context = this.generated(Context.decode, end);
          break;
        case 82:
          message.call = { $case: 'track', value: this.track(this.sub(end), enclosing) };
          break;
        case 90:
          message.call = { $case: 'identify', value: this.identify(this.sub(end), enclosing) };
          break;
        case 98:
          message.call = { $case: 'alias', value: this.generated(AliasCall.decode, end) };
          break;
        case 106:
          message.call = { $case: 'group', value: this.group(this.sub(end), enclosing) };
          break;
        case 114:
          message.call = { $case: 'consent', value: this.generated(ConsentCall.decode, end) };
          break;
        case 122:
          message.call = { $case: 'page', value: this.page(this.sub(end), enclosing) };
          break;
        default:
          this.skip(tag);
      }
      this.within(end);
    }
    return message;
  }

  private track(end: number, enclosing: number): TrackCall {
    const r = this.reader;
    const message: TrackCall = { name: '', data: undefined };
    while (r.pos < end) {
      const tag = this.tag();
      if (tag === 10) message.name = r.string();
      else if (tag === 18) this.takePayload(end, enclosing);
      else this.skip(tag);
      this.within(end);
    }
    return message;
  }

  private page(end: number, enclosing: number): PageCall {
    const r = this.reader;
    const message: PageCall = { url: '', title: '', referrer: '', path: '', data: undefined };
    while (r.pos < end) {
      const tag = this.tag();
      if (tag === 10) message.url = r.string();
      else if (tag === 18) message.title = r.string();
      else if (tag === 26) message.referrer = r.string();
      else if (tag === 34) message.path = r.string();
      else if (tag === 42) this.takePayload(end, enclosing);
      else this.skip(tag);
      this.within(end);
    }
    return message;
  }

  private identify(end: number, enclosing: number): IdentifyCall {
    const r = this.reader;
    const message: IdentifyCall = { userAttributes: undefined, userHash: undefined };
    while (r.pos < end) {
      const tag = this.tag();
      if (tag === 10) this.takePayload(end, enclosing);
      else if (tag === 18) message.userHash = r.string();
      else this.skip(tag);
      this.within(end);
    }
    return message;
  }

  private group(end: number, enclosing: number): GroupCall {
    const r = this.reader;
    while (r.pos < end) {
      const tag = this.tag();
      if (tag === 10) this.takePayload(end, enclosing);
      else this.skip(tag);
      this.within(end);
    }
    return { accountAttributes: undefined };
  }

  private product(end: number): ProductRecord {
    const r = this.reader;
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
      const tag = this.tag();
      switch (tag) {
        case 10:
          message.productId = r.string();
          break;
        case 18:
          message.profileId = r.string();
          break;
        case 26:
          message.userId = r.string();
          break;
        case 34:
          message.title = r.string();
          break;
        case 42:
          message.description = r.string();
          break;
        case 50:
          message.url = r.string();
          break;
        case 58:
          message.imageLink = r.string();
          break;
        case 65:
          message.price = r.double();
          break;
        case 74:
          message.currency = r.string();
          break;
        case 82:
          message.brand = r.string();
          break;
        case 90:
          message.category = r.string();
          break;
        case 98:
          message.tags.push(r.string());
          break;
        case 104:
          message.availability = r.int32() as ProductRecord['availability'];
          break;
        case 113:
          message.rating = r.double();
          break;
        case 122:
          // ProductRecord opens inside Record.
          this.takePayload(end, 2);
          break;
        default:
          this.skip(tag);
      }
      this.within(end);
    }
    return message;
  }

  /** Notes where the payload field at the reader lies and steps over it; a second payload is not plain. */
  private takePayload(end: number, enclosing: number): void {
    const stop = this.sub(end);
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
    const stop = this.sub(end);
    const value = decode(this.reader, stop - this.reader.pos);
    if (this.reader.pos !== stop) throw new NotPlain();
    return value;
  }

  /** Reads a tag; tag 0 and an end-group tag, which the generated decoder takes for the message's end, are not plain. */
  private tag(): number {
    const tag = this.reader.uint32();
    if (tag >>> 3 === 0 || (tag & 7) === 4) throw new NotPlain();
    return tag;
  }

  /** Reads a length prefix; returns where the field ends. */
  private sub(end: number): number {
    const stop = this.reader.uint32() + this.reader.pos;
    if (stop > end) throw new NotPlain();
    return stop;
  }

  /** Skips an unknown field, or a known field number with another wire type, as the generated decoder does. */
  private skip(tag: number): void {
    this.reader.skip(tag & 7);
  }

  /** A field that ran past its message is not plain. */
  private within(end: number): void {
    if (this.reader.pos > end) throw new NotPlain();
  }
}
