/**
 * Builds the Envelope that travels on the stream. The record's bytes are
 * passed through as the producer sent them (no re-encoding): a length-
 * delimited field 1 followed by the rest of the Envelope, which protobuf
 * merges into one message.
 */
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { Envelope } from '../gen/tributary/ingest/v1/envelope';

/** The tag of Envelope.record: field 1, length-delimited. */
const RECORD_TAG = (1 << 3) | WireType.LengthDelimited;

/** What the server adds to a record. */
export interface EnvelopeFacts {
  readonly sourceId: string;
  readonly receivedAt: Date;
  /** The record's timestamp corrected for the producer's clock. */
  readonly timestamp: Date;
  readonly sentAt: Date | undefined;
}

/**
 * One writer for every envelope: `finish()` copies out what was written and
 * keeps the buffer, so after the first few envelopes nothing is allocated but
 * the result (a writer per envelope grew a fresh buffer each time).
 */
const writer = new BinaryWriter();

/** Encodes an Envelope around a record's binary encoding. */
export function encodeEnvelope(recordBytes: Uint8Array, facts: EnvelopeFacts): Uint8Array {
  try {
    writer.uint32(RECORD_TAG).bytes(recordBytes);
    return Envelope.encode(facts, writer).finish();
  } catch (error) {
    // Leave the shared writer empty for the next envelope.
    writer.finish();
    throw error;
  }
}
