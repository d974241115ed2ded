/**
 * Reading requests off the wire: records keep their exact bytes, payloads
 * within the limits stay on the wire, a record that does not decode is set
 * apart alone, and bad input never throws.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { IngestRequest } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { DEFAULT_LIMITS } from '../../../src/contract';
import { readRequestFrame } from '../../../src/gateway/request-frame';
import { trackRecord, withoutPayload } from '../../helpers/records';

it('decodes every record with the bytes it came from, and sent_at; a payload within the limits stays on the wire', () => {
  const records = [trackRecord('a'), trackRecord('b', 'Long', { s: 'x'.repeat(DEFAULT_LIMITS.maxTextLength + 1) })];
  const sentAt = new Date('2026-11-26T10:00:00.123Z');
  const frame = readRequestFrame(IngestRequest.encode({ records, sentAt }).finish(), 1 << 20, DEFAULT_LIMITS);
  if (frame.kind !== 'decoded') throw new Error(`not decoded: ${frame.kind}`);
  expect(frame.sentAt).toEqual(sentAt);
  // The second breaks a limit, so its payload is decoded for the validator to name.
  expect(frame.records.map((r) => ('record' in r ? r.record : undefined))).toEqual([withoutPayload(records[0]), records[1]]);
  expect(frame.records.map((r) => Buffer.from(r.bytes))).toEqual(records.map((r) => Buffer.from(Record.encode(r).finish())));
});

it('reports a message over the limit without reading it', () => {
  const bytes = IngestRequest.encode({ records: [trackRecord('a')] }).finish();
  expect(readRequestFrame(bytes, bytes.length - 1, DEFAULT_LIMITS)).toEqual({ kind: 'too-large', size: bytes.length });
});

it('carries a record that does not decode with its violation, beside the others', () => {
  const good = Record.encode(trackRecord('good')).finish();
  const truncated = Record.encode(trackRecord('cut')).finish().slice(0, -3);
  const bytes = new BinaryWriter().uint32(10).bytes(good).uint32(10).bytes(truncated).uint32(10).bytes(good).finish();
  const frame = readRequestFrame(bytes, 1 << 20, DEFAULT_LIMITS);
  if (frame.kind !== 'decoded') throw new Error(`not decoded: ${frame.kind}`);
  expect(frame.records.map((r) => ('record' in r ? r.record.eventId : `${r.eventId}:${r.violation.reason}`))).toEqual(['good', 'cut:UNDECODABLE', 'good']);
});

it('reports truncated input as malformed instead of throwing', () => {
  const frame = readRequestFrame(Uint8Array.from([0x0a, 0x05, 0x0a]), 1024, DEFAULT_LIMITS);
  expect(frame.kind).toBe('malformed');
});
