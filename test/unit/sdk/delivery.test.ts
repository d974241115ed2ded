/**
 * The SDK's queue on its own, with a scripted transport (no network; the
 * integration tests use a real gateway): batching by count and interval, the
 * bounded queue, retries with the same records, batches too large split in
 * halves, and close.
 */
import { Delivery, type DeliveryOptions, type Outcome } from '../../../sdk/src/delivery';
import { TributaryError, type Transport } from '../../../sdk/src/transport';
import { DropReason, RecordStatus, type IngestRequest, type IngestResponse } from '../../../sdk/src/gen/tributary/ingest/v1/ingest_service';
import type { Record } from '../../../sdk/src/gen/tributary/ingest/v1/record';

/** Answers each call with the next scripted step: accept everything, or fail with a status. */
class ScriptedTransport implements Transport {
  readonly requests: string[][] = [];
  closed = false;
  constructor(private readonly script: (number | 'accept' | 'hang')[] = []) {}

  ingest(request: IngestRequest): Promise<IngestResponse> {
    this.requests.push(request.records.map((r) => r.eventId));
    const step = this.script.shift() ?? 'accept';
    if (step === 'hang') return new Promise(() => undefined);
    if (step !== 'accept') return Promise.reject(new TributaryError(step, `status ${step}`));
    return Promise.resolve({ results: request.records.map((r, i) => ({ eventId: r.eventId, status: RecordStatus.ACCEPTED, violations: [], sequence: i + 1, dropReason: DropReason.UNSPECIFIED })) });
  }

  close(): void {
    this.closed = true;
  }
}

const record = (eventId: string): Record => ({
  eventId,
  timestamp: new Date(0),
  kind: { $case: 'product', value: { productId: 'p', title: '', description: '', url: '', imageLink: '', currency: '', brand: '', category: '', tags: [], availability: 0 } },
});
const options = (overrides: Partial<DeliveryOptions> = {}): DeliveryOptions => ({
  batchSize: 3,
  flushIntervalMs: 20,
  maxQueue: 100,
  requestTimeoutMs: 1000,
  retryBaseMs: 1,
  retryMaxMs: 5,
  ...overrides,
});
const ids = (n: number, prefix = 'e') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

it('sends full batches at once and the rest after the interval, in order', async () => {
  const transport = new ScriptedTransport();
  const delivery = new Delivery(transport, options());
  const outcomes = await Promise.all(ids(7).map((id) => delivery.enqueue(record(id))));
  expect(transport.requests).toEqual([['e0', 'e1', 'e2'], ['e3', 'e4', 'e5'], ['e6']]);
  expect(outcomes.map((o) => o.status)).toEqual(Array(7).fill('accepted'));
});

it('retries a retryable failure with the same records, and fails a final one without retrying', async () => {
  const transport = new ScriptedTransport([14, 4, 'accept', 16]);
  const retried: number[] = [];
  const delivery = new Delivery(transport, options({ onRetry: (error) => retried.push(error.code) }));
  const first = await Promise.all(ids(3).map((id) => delivery.enqueue(record(id))));
  expect(transport.requests).toEqual([
    ['e0', 'e1', 'e2'],
    ['e0', 'e1', 'e2'],
    ['e0', 'e1', 'e2'],
  ]);
  expect(retried).toEqual([14, 4]);
  expect(first.map((o) => o.status)).toEqual(['accepted', 'accepted', 'accepted']);
  const [failed] = await Promise.all([delivery.enqueue(record('x'))]);
  expect(failed).toEqual({ status: 'failed', eventId: 'x', error: expect.objectContaining({ code: 16 }) });
});

/** Refuses a request of more than `maxRecords` records, or holding a record whose id starts with "huge", as the gateway refuses one too large. */
class SizeLimitedTransport implements Transport {
  readonly requests: string[][] = [];
  constructor(private readonly maxRecords: number) {}

  ingest(request: IngestRequest): Promise<IngestResponse> {
    const ids = request.records.map((r) => r.eventId);
    this.requests.push(ids);
    if (ids.length > this.maxRecords || ids.some((id) => id.startsWith('huge'))) {
      return Promise.reject(new TributaryError(8, 'the request is too large', 'REQUEST_TOO_LARGE'));
    }
    return Promise.resolve({ results: ids.map((eventId, i) => ({ eventId, status: RecordStatus.ACCEPTED, violations: [], sequence: i + 1, dropReason: DropReason.UNSPECIFIED })) });
  }

  close(): void {}
}

it('splits a batch refused as too large in halves until it fits, and fails a record that never fits, without looping', async () => {
  const transport = new SizeLimitedTransport(3);
  const delivery = new Delivery(transport, options({ batchSize: 10 }));
  const outcomes = await Promise.all([...ids(9), 'huge', 'z'].map((id) => delivery.enqueue(record(id))));
  expect(outcomes.map((o) => o.status)).toEqual([...Array(9).fill('accepted'), 'failed', 'accepted']);
  expect(outcomes[9]).toEqual({ status: 'failed', eventId: 'huge', error: expect.objectContaining({ code: 8, reason: 'REQUEST_TOO_LARGE' }) });
  // 10 records go as 5 and 5; the first 5 as 3 and 2; the second (e5…e8, huge) as 3 and 2; that 2 as e8 and huge alone, refused: huge was in 4 requests.
  expect(transport.requests.flat().filter((id) => id === 'huge')).toHaveLength(4);
  expect(transport.requests.length).toBeLessThan(20);
  expect(transport.requests.at(-1)).toEqual(['z']);
});

it('drops the newest record when the queue is full, and says so', async () => {
  const problems: Outcome[] = [];
  const delivery = new Delivery(new ScriptedTransport(['hang']), options({ batchSize: 10, maxQueue: 2, onProblem: (o) => problems.push(o) }));
  void delivery.enqueue(record('a'));
  void delivery.enqueue(record('b'));
  expect(await delivery.enqueue(record('c'))).toEqual({ status: 'dropped', eventId: 'c', reason: 'queue-full' });
  expect(problems).toEqual([{ status: 'dropped', eventId: 'c', reason: 'queue-full' }]);
  expect(delivery.size).toBe(2);
});

it('on close, flushes what it can in time, drops the rest, and refuses new records', async () => {
  const transport = new ScriptedTransport([14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14]);
  const delivery = new Delivery(transport, options({ retryBaseMs: 20, retryMaxMs: 20 }));
  const pending = ids(2).map((id) => delivery.enqueue(record(id)));
  await delivery.close(50);
  expect(await Promise.all(pending)).toEqual(ids(2).map((eventId) => ({ status: 'dropped', eventId, reason: 'close-timeout' })));
  expect(await delivery.enqueue(record('late'))).toEqual({ status: 'dropped', eventId: 'late', reason: 'closed' });
  expect(transport.closed).toBe(true);
});

it("settles a record the server dropped as dropped with the server's reason, reports it, and never sends it again", async () => {
  const requests: string[][] = [];
  const transport: Transport = {
    ingest: (request) => {
      requests.push(request.records.map((r) => r.eventId));
      const drop = (eventId: string, dropReason: DropReason) => ({ eventId, status: RecordStatus.DROPPED, violations: [], sequence: 0, dropReason });
      return Promise.resolve({
        results: [
          drop('e0', DropReason.SUPPRESSED),
          drop('e1', 99 as DropReason),
          drop('e3', DropReason.CONSENT_REJECTED),
          { eventId: 'e2', status: RecordStatus.ACCEPTED, violations: [], sequence: 7, dropReason: DropReason.UNSPECIFIED },
        ],
      });
    },
    close: () => undefined,
  };
  const problems: Outcome[] = [];
  const delivery = new Delivery(transport, options({ batchSize: 4, onProblem: (outcome) => problems.push(outcome) }));
  const outcomes = await Promise.all(['e0', 'e1', 'e3', 'e2'].map((id) => delivery.enqueue(record(id))));
  expect(outcomes).toEqual([
    { status: 'dropped', eventId: 'e0', reason: 'suppressed' },
    { status: 'dropped', eventId: 'e1', reason: 'policy' },
    { status: 'dropped', eventId: 'e3', reason: 'consent-rejected' },
    { status: 'accepted', eventId: 'e2', sequence: 7 },
  ]);
  expect(problems).toEqual(outcomes.slice(0, 3));
  await delivery.close(1000);
  expect(requests).toEqual([['e0', 'e1', 'e3', 'e2']]);
});
