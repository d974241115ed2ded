/**
 * When JetStream cannot be reached the caller is told to retry, never told
 * "OK": NATS stopped gives UNAVAILABLE and health NOT_SERVING; NATS back on
 * the same store gives SERVING and successful calls without a gateway restart;
 * a PubAck that never comes fails the call, and the retry stores nothing twice.
 */
import { status } from '@grpc/grpc-js';
import { RecordStatus } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { GatewayHarness } from '../../helpers/gateway-harness';
import { checkHealth } from '../../helpers/health-client';
import { trackRecord } from '../../helpers/records';
import { failureOf, statusDetails } from '../../helpers/status-details';
import { waitFor } from '../../helpers/wait';

let harness: GatewayHarness;
beforeAll(async () => {
  harness = await GatewayHarness.start({ publishTimeoutMs: '1s' });
});
afterAll(async () => {
  await harness.close();
});

const healthIs = (expected: string) => async () => ((await checkHealth(harness.gateway.port, 'tributary.ingest.v1.IngestService')) === expected ? true : undefined);

it('answers UNAVAILABLE while NATS is down and recovers when it is back', async () => {
  const before = [trackRecord('outage-1'), trackRecord('outage-2')];
  expect((await harness.ingest({ records: before })).results.map((r) => r.status)).toEqual([RecordStatus.ACCEPTED, RecordStatus.ACCEPTED]);
  expect(await checkHealth(harness.gateway.port)).toBe('SERVING');

  await harness.nats.pause();
  await waitFor('health NOT_SERVING', healthIs('NOT_SERVING'));
  const error = await failureOf(harness.ingest({ records: [trackRecord('outage-3')] }));
  expect(error.code).toBe(status.UNAVAILABLE);
  const details = statusDetails(error);
  expect(details.errorInfo?.reason).toBe('STREAM_UNAVAILABLE');
  expect(details.retryInfo?.retryDelay?.seconds).toBe(1);

  await harness.nats.resume();
  await waitFor('health SERVING', healthIs('SERVING'));
  const after = await harness.ingest({ records: [...before, trackRecord('outage-3')] });
  expect(after.results.map((r) => r.status)).toEqual([RecordStatus.DUPLICATE, RecordStatus.DUPLICATE, RecordStatus.ACCEPTED]);
  expect(await waitFor('the stream to answer again', () => harness.messageCount())).toBe(3);
});

it('fails a call whose PubAcks do not come, and its retry stores each record once', async () => {
  const records = [trackRecord('frozen-1'), trackRecord('frozen-2')];
  const count = await harness.messageCount();
  harness.nats.freeze();
  let error;
  try {
    error = await failureOf(harness.ingest({ records }));
  } finally {
    harness.nats.thaw();
  }
  expect(error.code).toBe(status.UNAVAILABLE);
  expect(statusDetails(error).errorInfo?.reason).toBe('STREAM_UNAVAILABLE');

  const retry = await harness.ingest({ records });
  for (const result of retry.results) expect([RecordStatus.ACCEPTED, RecordStatus.DUPLICATE]).toContain(result.status);
  expect(await harness.messageCount()).toBe(count + 2);
});
