/**
 * One record's bytes into a Record, or the violation that rejects that record
 * alone: the request around it is read, so a record the decoder refuses is
 * answered like any record that breaks the contract, and its siblings go on.
 * Strings are decoded strictly: invalid UTF-8 refuses the record, where the
 * lenient decoder would turn it into U+FFFD. Pure.
 *
 * Given the validator's limits, a record's free-form payload is checked on
 * the wire (wire/record-fields.ts, wire/struct-scan.ts) and made into objects
 * only when it is not plainly within them; the generated decoder reads
 * whatever the wire readers leave to it. Either way the validator gives the
 * same answer (test/unit/contract/wire-validation.test.ts).
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { FieldViolation } from '../gen/tributary/ingest/v1/ingest_service';
import { Record } from '../gen/tributary/ingest/v1/record';
import type { ValidationLimits } from './limits';
import { Reason } from './reasons';
import { decodeRecordFields, type PayloadRange } from './wire/record-fields';
import { structWithinLimits } from './wire/struct-scan';

/**
 * A decoded record, with where its payload lies in the bytes when it was
 * left undecoded; or why its bytes are not a record, with the event id they
 * seem to carry.
 */
export type DecodedRecord = { readonly record: Record; readonly payload?: PayloadRange } | { readonly violation: FieldViolation; readonly eventId: string };

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

/** The event id (field 1) of a record that does not decode, read leniently as far as the bytes go, or "". */
function eventIdOf(bytes: Uint8Array): string {
  let eventId = '';
  try {
    const reader = new BinaryReader(bytes, (b) => lenient.decode(b));
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === 1 && wireType === WireType.LengthDelimited) eventId = reader.string();
      else reader.skip(wireType, field);
    }
  } catch {
    // The bytes end or break after the event id, or before it: what was read stands.
  }
  return eventId;
}

/** The path of the free-form payload field a record carries (the only fields that nest without end), if it has one. */
export function payloadField(record: Record): string | undefined {
  if (record.kind?.$case === 'product') return 'product.data';
  const call = record.kind?.$case === 'event' ? record.kind.value.call : undefined;
  switch (call?.$case) {
    case 'track':
      return 'event.track.data';
    case 'identify':
      return 'event.identify.user_attributes';
    case 'group':
      return 'event.group.account_attributes';
    case 'page':
      return 'event.page.data';
    default:
      return undefined;
  }
}

/** The violation of `bytes`, which the decoder refused with `error`. */
function violationOf(bytes: Uint8Array, error: unknown): FieldViolation {
  const message = error instanceof Error ? error.message : String(error);
  if (/recursion limit/.test(message)) {
    // Only a payload (a Struct) nests this deep; the record's other fields, read without it, say which one.
    const fields = decodeRecordFields(bytes);
    const field = fields?.payload === undefined ? '' : (payloadField(fields.record) ?? '');
    return { field, reason: Reason.TOO_DEEP, message: `${field === '' ? 'The record' : field} nests deeper than the protobuf decoder allows (100 messages).` };
  }
  if (error instanceof TypeError && /utf-8|encoded data/i.test(message)) {
    return { field: '', reason: Reason.UNDECODABLE, message: 'The record holds a string that is not valid UTF-8.' };
  }
  return { field: '', reason: Reason.UNDECODABLE, message: `The record's bytes are not a Record: ${message}.` };
}

/**
 * Decodes one record. With `payloadLimits`, a payload (track data, identify
 * user_attributes, group account_attributes, page data, product data) that
 * is plainly within them is checked on the wire and left out of the Record:
 * its field is undefined, the payload travels on in the record's bytes, and
 * `payload` says where.
 */
export function decodeRecord(bytes: Uint8Array, payloadLimits?: ValidationLimits): DecodedRecord {
  if (payloadLimits !== undefined) {
    const fields = decodeRecordFields(bytes);
    const payload = fields?.payload;
    if (fields !== undefined && (payload === undefined || structWithinLimits(bytes, payload.start, payload.end, payload.enclosing, payloadLimits))) {
      return { record: fields.record, payload };
    }
  }
  try {
    return { record: Record.decode(new BinaryReader(bytes, (b) => strict.decode(b))) };
  } catch (error) {
    return { violation: violationOf(bytes, error), eventId: eventIdOf(bytes) };
  }
}
