/**
 * IngestStream: every request on a long-lived stream gets its response, in
 * the order of the requests, and a stream without a key is refused.
 */
import { status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { RecordStatus, type IngestRequest, type IngestResponse } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { authorized, GatewayHarness, KEYS } from '../../helpers/gateway-harness';
import { trackRecord } from '../../helpers/records';
import { statusDetails } from '../../helpers/status-details';

let harness: GatewayHarness;
beforeAll(async () => {
  harness = await GatewayHarness.start();
});
afterAll(async () => {
  await harness.close();
});

/** Writes every request, ends the stream, and collects the responses or the error that ended it. */
function exchange(key: string | null, requests: IngestRequest[]): Promise<{ responses: IngestResponse[]; error?: ServiceError }> {
  const call: ClientDuplexStream<IngestRequest, IngestResponse> = harness.client.ingestStream(authorized(key));
  const responses: IngestResponse[] = [];
  return new Promise((resolve) => {
    call.on('data', (response: IngestResponse) => responses.push(response));
    call.on('error', (error: ServiceError) => resolve({ responses, error }));
    call.on('end', () => resolve({ responses }));
    for (const request of requests) call.write(request);
    call.end();
  });
}

it('answers 200 requests on one stream, each in order and record by record', async () => {
  const requests = Array.from({ length: 200 }, (_, i) => ({
    records: [trackRecord(`s${i}-a`), { ...trackRecord(`s${i}-bad`), kind: undefined }, trackRecord(`s${i}-b`)],
  }));
  const { responses, error } = await exchange(KEYS.sourceA, requests);

  expect(error).toBeUndefined();
  expect(responses.map((r) => r.results.map((x) => x.eventId))).toEqual(requests.map((r) => r.records.map((x) => x.eventId)));
  for (const response of responses) {
    expect(response.results.map((r) => r.status)).toEqual([RecordStatus.ACCEPTED, RecordStatus.REJECTED, RecordStatus.ACCEPTED]);
  }
  expect(await harness.messageCount()).toBe(400);
});

it('refuses a stream without an API key', async () => {
  const { responses, error } = await exchange(null, [{ records: [trackRecord('anon')] }]);
  expect(responses).toEqual([]);
  expect(error?.code).toBe(status.UNAUTHENTICATED);
  expect(statusDetails(error as ServiceError).errorInfo?.reason).toBe('MISSING_API_KEY');
});
