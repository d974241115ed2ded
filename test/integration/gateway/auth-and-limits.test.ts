/**
 * Whole-call failures carry the documented gRPC code and google.rpc.Status
 * details: missing or unknown keys, empty, oversized and over-long batches,
 * unreadable requests and overload. Compressed (gzip) calls are accepted.
 */
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { IngestServiceClient, RecordStatus, type IngestResponse } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { authorized, GatewayHarness, KEYS } from '../../helpers/gateway-harness';
import { trackRecord } from '../../helpers/records';
import { failureOf, statusDetails } from '../../helpers/status-details';
import { waitFor } from '../../helpers/wait';

let harness: GatewayHarness;
beforeAll(async () => {
  harness = await GatewayHarness.start({ maxRecordsPerRequest: '10', maxRequestBytes: '4KiB', maxRecordBytes: '2KiB', maxInFlight: '15' });
});
afterAll(async () => {
  await harness.close();
});

const records = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => trackRecord(`${prefix}-${i}`));

describe('authentication', () => {
  it('answers a call without a key UNAUTHENTICATED, naming the reason', async () => {
    const error = await failureOf(harness.ingest({ records: records(1, 'nokey') }, null));
    expect(error.code).toBe(status.UNAUTHENTICATED);
    expect(statusDetails(error).errorInfo).toMatchObject({ reason: 'MISSING_API_KEY', domain: 'tributary.ingest.v1' });
  });

  it('answers a call with an unknown key UNAUTHENTICATED and stores nothing', async () => {
    const count = await harness.messageCount();
    const error = await failureOf(harness.ingest({ records: records(1, 'badkey') }, 'not-a-key-of-this-server'));
    expect(error.code).toBe(status.UNAUTHENTICATED);
    expect(statusDetails(error).errorInfo?.reason).toBe('UNKNOWN_API_KEY');
    expect(error.message).not.toContain('not-a-key-of-this-server');
    expect(await harness.messageCount()).toBe(count);
  });
});

describe('request limits', () => {
  it('refuses more records than allowed with INVALID_ARGUMENT and a BadRequest on records', async () => {
    const error = await failureOf(harness.ingest({ records: records(11, 'many') }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    const details = statusDetails(error);
    expect(details.errorInfo).toMatchObject({ reason: 'TOO_MANY_RECORDS', metadata: { max_records: '10', records: '11' } });
    expect(details.badRequest?.fieldViolations.map((v) => v.field)).toEqual(['records']);
  });

  it('refuses an empty batch with INVALID_ARGUMENT', async () => {
    const error = await failureOf(harness.ingest({ records: [] }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(statusDetails(error).errorInfo?.reason).toBe('EMPTY_BATCH');
  });

  it('refuses a request over the size limit with RESOURCE_EXHAUSTED and the limit in ErrorInfo', async () => {
    const big = records(3, 'big').map((r) => ({
      ...r,
      kind: r.kind?.$case === 'event' ? { ...r.kind, value: { ...r.kind.value, call: { $case: 'track' as const, value: { name: 'Big', data: { text: 'x'.repeat(2000) } } } } } : r.kind,
    }));
    const error = await failureOf(harness.ingest({ records: big }));
    expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(statusDetails(error).errorInfo).toMatchObject({ reason: 'REQUEST_TOO_LARGE', metadata: { max_bytes: '4096' } });
  });

  it('refuses an unreadable request with INVALID_ARGUMENT', async () => {
    const raw = new IngestServiceClient(`127.0.0.1:${harness.gateway.port}`, credentials.createInsecure());
    const error = await new Promise<ServiceError>((resolve) => {
      raw.makeUnaryRequest(
        '/tributary.ingest.v1.IngestService/Ingest',
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        Buffer.from([0x0a, 0x05, 0x0a]),
        authorized(KEYS.sourceA),
        (err) => resolve(err as ServiceError),
      );
    });
    raw.close();
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(statusDetails(error).errorInfo?.reason).toBe('MALFORMED_REQUEST');
  });

  it('refuses a batch beyond the in-flight bound with RESOURCE_EXHAUSTED and RetryInfo', async () => {
    harness.nats.freeze();
    try {
      const first = harness.ingest({ records: records(10, 'load-1') });
      await waitFor('the first batch to wait for its PubAcks', () => (harness.gateway.inFlight === 10 ? true : undefined));
      const error = await failureOf(harness.ingest({ records: records(10, 'load-2') }));
      expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
      const details = statusDetails(error);
      expect(details.errorInfo).toMatchObject({ reason: 'OVERLOADED', metadata: { max_in_flight: '15' } });
      expect(details.retryInfo?.retryDelay?.seconds).toBe(1);
      harness.nats.thaw();
      expect((await first).results.map((r) => r.status)).toEqual(Array(10).fill(RecordStatus.ACCEPTED));
    } finally {
      harness.nats.thaw();
    }
  });
});

describe('the in-flight bound in bytes', () => {
  let bytesHarness: GatewayHarness;
  beforeAll(async () => {
    bytesHarness = await GatewayHarness.start({ maxInFlightBytes: '64KiB' });
  });
  afterAll(async () => {
    await bytesHarness.close();
  });

  it('lets a batch through alone however large, and refuses the next while it waits, with RESOURCE_EXHAUSTED and RetryInfo', async () => {
    // 60 records of about 1.6 KB: more than the 64 KiB bound in one batch.
    const large = (prefix: string) => Array.from({ length: 60 }, (_, i) => trackRecord(`${prefix}-${i}`, 'Button Clicked', { text: 'x'.repeat(1500) }));
    bytesHarness.nats.freeze();
    try {
      const first = bytesHarness.ingest({ records: large('bytes-1') });
      await waitFor('the first batch to wait for its PubAcks', () => (bytesHarness.gateway.inFlight === 60 ? true : undefined));
      const error = await failureOf(bytesHarness.ingest({ records: records(1, 'bytes-2') }));
      expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
      const details = statusDetails(error);
      expect(details.errorInfo).toMatchObject({ reason: 'OVERLOADED', metadata: { max_in_flight_bytes: String(64 * 1024) } });
      expect(details.retryInfo?.retryDelay?.seconds).toBe(1);
      bytesHarness.nats.thaw();
      expect((await first).results.map((r) => r.status)).toEqual(Array(60).fill(RecordStatus.ACCEPTED));
      expect((await bytesHarness.ingest({ records: records(1, 'bytes-3') })).results[0].status).toBe(RecordStatus.ACCEPTED);
    } finally {
      bytesHarness.nats.thaw();
    }
  });
});

describe('a stream with limits of its own', () => {
  it("answers STREAM_FULL with RetryInfo when the operator's own limit on the stream refuses a record (JetStream's error code, not its text)", async () => {
    const stream = harness.config.stream;
    const { config } = await harness.jsm.streams.info(stream);
    await harness.jsm.streams.update(stream, { ...config, max_msgs: (await harness.messageCount()) + 1 });
    try {
      expect((await harness.ingest({ records: records(1, 'room') })).results[0].status).toBe(RecordStatus.ACCEPTED);
      const error = await failureOf(harness.ingest({ records: records(1, 'no-room') }));
      expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(statusDetails(error).errorInfo?.reason).toBe('STREAM_FULL');
      expect(statusDetails(error).retryInfo?.retryDelay).toBeDefined();
    } finally {
      await harness.jsm.streams.update(stream, { ...config, max_msgs: -1 });
    }
  });
});

describe('compression', () => {
  it('accepts a gzip-compressed call', async () => {
    const gzip = new IngestServiceClient(`127.0.0.1:${harness.gateway.port}`, credentials.createInsecure(), { 'grpc.default_compression_algorithm': 2 });
    const response = await new Promise<IngestResponse>((resolve, reject) =>
      gzip.ingest({ records: [trackRecord('gzipped')] }, authorized(KEYS.sourceA), (error, r) => (error === null ? resolve(r) : reject(error))),
    );
    gzip.close();
    expect(response.results.map((r) => r.status)).toEqual([RecordStatus.ACCEPTED]);
  });
});
