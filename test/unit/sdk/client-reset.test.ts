/** The SDK client's reset(): a new anonymous profile and session, the user forgotten, for shared devices. */
import { TributaryClient } from '../../../sdk/src/client';
import type { Transport } from '../../../sdk/src/transport';
import { RecordStatus, type IngestRequest, type IngestResponse } from '../../../sdk/src/gen/tributary/ingest/v1/ingest_service';
import type { BehavioralEvent } from '../../../sdk/src/gen/tributary/ingest/v1/record';

/** Accepts everything and keeps the events it was sent. */
class CapturingTransport implements Transport {
  readonly events: BehavioralEvent[] = [];
  ingest(request: IngestRequest): Promise<IngestResponse> {
    for (const r of request.records) if (r.kind?.$case === 'event') this.events.push(r.kind.value);
    return Promise.resolve({ results: request.records.map((r, i) => ({ eventId: r.eventId, status: RecordStatus.ACCEPTED, violations: [], sequence: i + 1 })) });
  }
  close(): void {}
}

it('starts a new anonymous profile and session, and forgets the user', async () => {
  const transport = new CapturingTransport();
  const made: string[] = [];
  const client = new TributaryClient(transport, { platform: 'web', profileId: 'anon_1', batchSize: 1, library: { name: 't', version: '0' }, newProfileId: () => `anon_${made.push('x') + 1}` });
  await client.identify('user@example.com');
  await client.track('Before');
  expect(client.reset()).toBe('anon_2');
  await client.track('After');
  await client.close();
  const [identify, before, after] = transport.events;
  expect([identify.profileId, before.profileId, after.profileId]).toEqual(['anon_1', 'anon_1', 'anon_2']);
  expect([before.userId, after.userId]).toEqual(['user@example.com', '']);
  expect(after.sessionId).not.toBe(before.sessionId);
  expect(after.sessionId).not.toBe('');
});

it('makes a UUIDv7 profile id by default', () => {
  const client = new TributaryClient(new CapturingTransport(), { library: { name: 't', version: '0' } });
  expect(client.reset()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  void client.close();
});
