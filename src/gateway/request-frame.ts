/**
 * Reads an IngestRequest off the wire without throwing (a throw inside a
 * grpc-js deserializer becomes INTERNAL). Each record keeps its own bytes, so
 * its size can be checked and the bytes passed to the stream unchanged, and
 * is decoded on its own: a record that does not decode is carried with the
 * violation that rejects it, and only a request that cannot be read as a
 * list of records is malformed as a whole.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { Timestamp } from '../gen/google/protobuf/timestamp';
import { decodeRecord, type DecodedRecord, type ValidationLimits } from '../contract';

/** One record of a request, decoded (or why not), with the bytes it was decoded from. */
export type FramedRecord = DecodedRecord & { readonly bytes: Uint8Array };

/** A request as the gateway reads it: decoded, too large to read, or unreadable. */
export type RequestFrame =
  | { readonly kind: 'decoded'; readonly records: readonly FramedRecord[]; readonly sentAt: Date | undefined }
  | { readonly kind: 'too-large'; readonly size: number }
  | { readonly kind: 'malformed'; readonly problem: string };

const RECORDS_FIELD = 1;
const SENT_AT_FIELD = 2;

const toDate = (ts: Timestamp): Date => new Date(ts.seconds * 1000 + ts.nanos / 1_000_000);

/** Decodes an IngestRequest message of at most `maxBytes`, checking payloads against `limits` on the wire. */
export function readRequestFrame(buffer: Uint8Array, maxBytes: number, limits: ValidationLimits): RequestFrame {
  if (buffer.length > maxBytes) return { kind: 'too-large', size: buffer.length };
  try {
    const reader = new BinaryReader(buffer);
    const records: FramedRecord[] = [];
    let sentAt: Date | undefined;
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === RECORDS_FIELD && wireType === WireType.LengthDelimited) {
        const bytes = reader.bytes();
        records.push({ ...decodeRecord(bytes, limits), bytes });
      } else if (field === SENT_AT_FIELD && wireType === WireType.LengthDelimited) {
        sentAt = toDate(Timestamp.decode(reader.bytes()));
      } else {
        reader.skip(wireType, field);
      }
    }
    return { kind: 'decoded', records, sentAt };
  } catch (error) {
    return { kind: 'malformed', problem: (error as Error).message };
  }
}
