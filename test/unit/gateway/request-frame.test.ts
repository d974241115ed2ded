/** Reading requests off the wire: records keep their exact bytes, a record that does not decode is set apart alone, and bad input never throws. */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { IngestRequest } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { readRequestFrame } from '../../../src/gateway/request-frame';
import { trackRecord } from '../../helpers/records';

it('decodes every record with the bytes it came from, and sent_at', () => {
  const records = [trackRecord('a'), trackRecord('b')];
  const sentAt = new Date('2026-11-26T10:00:00.123Z');
  const frame = readRequestFrame(IngestRequest.encode({ records, sentAt }).finish(), 1 << 20);
  if (frame.kind !== 'decoded') throw new Error(`not decoded: ${frame.kind}`);
  expect(frame.sentAt).toEqual(sentAt);
  expect(frame.records.map((r) => ('record' in r ? r.record : undefined))).toEqual(records);
  expect(frame.records.map((r) => Buffer.from(r.bytes))).toEqual(records.map((r) => Buffer.from(Record.encode(r).finish())));
});

it('reports a message over the limit without reading it', () => {
  const bytes = IngestRequest.encode({ records: [trackRecord('a')] }).finish();
  expect(readRequestFrame(bytes, bytes.length - 1)).toEqual({ kind: 'too-large', size: bytes.length });
});

it('carries a record that does not decode with its violation, beside the others', () => {
  const good = Record.encode(trackRecord('good')).finish();
  const truncated = Record.encode(trackRecord('cut')).finish().slice(0, -3);
  const bytes = new BinaryWriter().uint32(10).bytes(good).uint32(10).bytes(truncated).uint32(10).bytes(good).finish();
  const frame = readRequestFrame(bytes, 1 << 20);
  if (frame.kind !== 'decoded') throw new Error(`not decoded: ${frame.kind}`);
  expect(frame.records.map((r) => ('record' in r ? r.record.eventId : `${r.eventId}:${r.violation.reason}`))).toEqual(['good', 'cut:UNDECODABLE', 'good']);
});

it('reports truncated input as malformed instead of throwing', () => {
  const frame = readRequestFrame(Uint8Array.from([0x0a, 0x05, 0x0a]), 1024);
  expect(frame.kind).toBe('malformed');
});
