/** The Envelope on the stream, and where each record goes. */
import fc from 'fast-check';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { Envelope } from '../../../src/gen/tributary/ingest/v1/envelope';
import { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { encodeEnvelope } from '../../../src/publish/envelope';
import { messageId, subjectFor } from '../../../src/publish/subjects';
import { validRecords } from '../../helpers/records';

it('wraps the record bytes unchanged with what the server knows', () => {
  const [record] = validRecords();
  const facts = { sourceId: 'web', receivedAt: new Date(2000), timestamp: new Date(1500), sentAt: new Date(2500) };
  const envelope = Envelope.decode(encodeEnvelope(Record.encode(record).finish(), facts));
  expect(envelope).toEqual({ record, ...facts });
});

it("writes the generated encoder's bytes, for any facts and timestamp", () => {
  const records = validRecords().map((r) => Record.encode(r).finish());
  const date = fc.date({ min: new Date(-1e13), max: new Date(1e13), noInvalidDate: true });
  fc.assert(
    fc.property(fc.nat(records.length - 1), fc.string(), date, date, fc.option(date, { nil: undefined }), (i, sourceId, receivedAt, timestamp, sentAt) => {
      const facts = { sourceId, receivedAt, timestamp, sentAt };
      const writer = new BinaryWriter().uint32(10).bytes(records[i]);
      expect(Buffer.from(encodeEnvelope(records[i], facts))).toEqual(Buffer.from(Envelope.encode({ record: undefined, ...facts }, writer).finish()));
    }),
    { seed: 20261129, numRuns: 2000 },
  );
});

it('gives events a subject per call and products one subject, scoped by source', () => {
  const subjects = validRecords().map((r) => subjectFor('tributary', 'web', r));
  expect(new Set(subjects)).toEqual(new Set(['alias', 'consent', 'group', 'identify', 'page', 'track'].map((c) => `tributary.web.event.${c}`).concat('tributary.web.product')));
  expect(messageId('web', 'evt_1')).toBe('web:evt_1');
});
