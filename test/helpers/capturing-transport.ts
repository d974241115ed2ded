/** An SDK transport for tests that accepts every record and keeps the events it was sent. */
import type { Transport } from '../../sdk/src/transport';
import { DropReason, RecordStatus, type IngestRequest, type IngestResponse } from '../../sdk/src/gen/tributary/ingest/v1/ingest_service';
import type { BehavioralEvent } from '../../sdk/src/gen/tributary/ingest/v1/record';

/** Accepts everything and keeps the events it was sent. */
export class CapturingTransport implements Transport {
  readonly events: BehavioralEvent[] = [];

  ingest(request: IngestRequest): Promise<IngestResponse> {
    for (const r of request.records) if (r.kind?.$case === 'event') this.events.push(r.kind.value);
    return Promise.resolve({ results: request.records.map((r, i) => ({ eventId: r.eventId, status: RecordStatus.ACCEPTED, violations: [], sequence: i + 1, dropReason: DropReason.UNSPECIFIED })) });
  }

  close(): void {}
}
