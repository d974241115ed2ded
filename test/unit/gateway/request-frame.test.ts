/** Reading requests off the wire: records keep their exact bytes, and bad input never throws. */
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
  expect(frame.records.map((r) => r.record)).toEqual(records);
  expect(frame.records.map((r) => Buffer.from(r.bytes))).toEqual(records.map((r) => Buffer.from(Record.encode(r).finish())));
});

it('reports a message over the limit without reading it', () => {
  const bytes = IngestRequest.encode({ records: [trackRecord('a')] }).finish();
  expect(readRequestFrame(bytes, bytes.length - 1)).toEqual({ kind: 'too-large', size: bytes.length });
});

it('reports truncated input as malformed instead of throwing', () => {
  const frame = readRequestFrame(Uint8Array.from([0x0a, 0x05, 0x0a]), 1024);
  expect(frame.kind).toBe('malformed');
});
