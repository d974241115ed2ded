/**
 * The gateway's promise, against a real nats-server: ACCEPTED records are in
 * the stream with their subject, Nats-Msg-Id and Envelope; a repeated batch is
 * DUPLICATE and stores nothing; REJECTED records never reach the stream; a
 * mixed batch gets exact per-record results; sources never collide.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { RecordStatus } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { Envelope } from '../../../src/gen/tributary/ingest/v1/envelope';
import { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { GatewayHarness, KEYS } from '../../helpers/gateway-harness';
import { fixtureBytes, invalidFixtures } from '../../helpers/fixtures';
import { trackRecord, validRecords } from '../../helpers/records';

let harness: GatewayHarness;
beforeAll(async () => {
  harness = await GatewayHarness.start();
});
afterAll(async () => {
  await harness.close();
});

const expectedSubject = (record: Record, source: string): string => {
  const prefix = harness.config.subjectPrefix;
  return record.kind?.$case === 'product' ? `${prefix}.${source}.product` : `${prefix}.${source}.event.${record.kind?.value.call?.$case}`;
};

describe('Ingest against a real JetStream', () => {
  it('accepts every valid fixture and stores each as an Envelope on its subject', async () => {
    const records = validRecords('-accept');
    const before = await harness.messageCount();
    const sentAt = new Date(Date.now() - 2000);
    const started = Date.now();
    const response = await harness.ingest({ records, sentAt });

    expect(response.results.map((r) => [r.eventId, r.status])).toEqual(records.map((r) => [r.eventId, RecordStatus.ACCEPTED]));
    expect(await harness.messageCount()).toBe(before + records.length);
    for (const [i, result] of response.results.entries()) {
      const stored = await harness.message(result.sequence);
      expect(stored.subject).toBe(expectedSubject(records[i], 'source_a'));
      expect(stored.header.get('Nats-Msg-Id')).toBe(`source_a:${records[i].eventId}`);
      const envelope = Envelope.decode(stored.data);
      expect(envelope.record).toEqual(records[i]);
      expect(envelope.sourceId).toBe('source_a');
      expect(envelope.sentAt).toEqual(sentAt);
      const receivedAt = envelope.receivedAt?.getTime() ?? 0;
      expect(receivedAt).toBeGreaterThanOrEqual(started);
      expect(receivedAt).toBeLessThanOrEqual(Date.now());
      const skew = receivedAt - sentAt.getTime();
      const expectedTimestamp = records[i].timestamp === undefined ? receivedAt : records[i].timestamp!.getTime() + skew;
      expect(envelope.timestamp?.getTime()).toBe(expectedTimestamp);
    }
  });

  it('answers a repeated batch with DUPLICATE and the original sequences, storing nothing', async () => {
    const records = validRecords('-dup');
    const first = await harness.ingest({ records });
    const count = await harness.messageCount();
    const second = await harness.ingest({ records });

    expect(second.results.map((r) => r.status)).toEqual(records.map(() => RecordStatus.DUPLICATE));
    expect(second.results.map((r) => r.sequence)).toEqual(first.results.map((r) => r.sequence));
    expect(await harness.messageCount()).toBe(count);
  });

  it('rejects every invalid fixture with its violation and stores none of them', async () => {
    const fixtures = invalidFixtures();
    const request = new BinaryWriter();
    for (const f of fixtures) request.uint32(10).bytes(fixtureBytes(f.content));
    const count = await harness.messageCount();
    const response = await harness.ingestBytes(request.finish());

    expect(response.results).toHaveLength(fixtures.length);
    response.results.forEach((result, i) => {
      expect(result.status).toBe(RecordStatus.REJECTED);
      expect(result.sequence).toBe(0);
      expect(result.violations.map(({ field, reason }) => ({ field, reason }))).toEqual([fixtures[i].content.expect]);
    });
    expect(await harness.messageCount()).toBe(count);
  });

  it('rejects a record that does not decode on its own, and stores its siblings', async () => {
    const deep = invalidFixtures().find((f) => f.name === 'record-nested-past-decoder-limit');
    if (deep === undefined) throw new Error('the nesting fixture is missing');
    const request = new BinaryWriter();
    for (const bytes of [Record.encode(trackRecord('sibling-1')).finish(), fixtureBytes(deep.content), Record.encode(trackRecord('sibling-2')).finish()]) request.uint32(10).bytes(bytes);
    const count = await harness.messageCount();
    const response = await harness.ingestBytes(request.finish());

    expect(response.results.map((r) => [r.eventId, r.status, r.violations.map((v) => `${v.field}:${v.reason}`)])).toEqual([
      ['sibling-1', RecordStatus.ACCEPTED, []],
      ['evt_nested_past_decoder_limit', RecordStatus.REJECTED, ['event.track.data:TOO_DEEP']],
      ['sibling-2', RecordStatus.ACCEPTED, []],
    ]);
    expect(await harness.messageCount()).toBe(count + 2);
  });

  it('gives a mixed batch exact per-record results in request order', async () => {
    const invalid = { ...trackRecord('mixed-2'), kind: undefined };
    const records = [trackRecord('mixed-1'), invalid, trackRecord('mixed-3'), trackRecord('mixed-1')];
    const count = await harness.messageCount();
    const response = await harness.ingest({ records });

    expect(response.results.map((r) => [r.eventId, r.status])).toEqual([
      ['mixed-1', RecordStatus.ACCEPTED],
      ['mixed-2', RecordStatus.REJECTED],
      ['mixed-3', RecordStatus.ACCEPTED],
      ['mixed-1', RecordStatus.DUPLICATE],
    ]);
    expect(response.results[1].violations.map((v) => v.field)).toEqual(['kind']);
    expect(response.results[3].sequence).toBe(response.results[0].sequence);
    expect(await harness.messageCount()).toBe(count + 2);
  });

  it('accepts the same event id from two sources as two records', async () => {
    const record = trackRecord('shared-id');
    const fromA = await harness.ingest({ records: [record] }, KEYS.sourceA);
    const fromB = await harness.ingest({ records: [record] }, KEYS.sourceB);

    expect(fromA.results[0].status).toBe(RecordStatus.ACCEPTED);
    expect(fromB.results[0].status).toBe(RecordStatus.ACCEPTED);
    expect(fromB.results[0].sequence).not.toBe(fromA.results[0].sequence);
    expect(Envelope.decode((await harness.message(fromB.results[0].sequence)).data).sourceId).toBe('source_b');
  });
});
