/** The Envelope on the stream, and where each record goes. */
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

it('gives events a subject per call and products one subject, scoped by source', () => {
  const subjects = validRecords().map((r) => subjectFor('tributary', 'web', r));
  expect(new Set(subjects)).toEqual(
    new Set(['alias', 'consent', 'group', 'identify', 'page', 'track'].map((c) => `tributary.web.event.${c}`).concat('tributary.web.product')),
  );
  expect(messageId('web', 'evt_1')).toBe('web:evt_1');
});
