/**
 * The SDK's queue on its own, with a scripted transport (no network; the
 * integration tests use a real gateway): batching by count and interval, the
 * bounded queue, retries with the same records, and close.
 */
import { Delivery, type DeliveryOptions, type Outcome } from '../../../sdk/src/delivery';
import { TributaryError, type Transport } from '../../../sdk/src/transport';
import { RecordStatus, type IngestRequest, type IngestResponse } from '../../../src/gen/web/tributary/ingest/v1/ingest_service';
import type { Record } from '../../../src/gen/web/tributary/ingest/v1/record';

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
    return Promise.resolve({ results: request.records.map((r, i) => ({ eventId: r.eventId, status: RecordStatus.ACCEPTED, violations: [], sequence: i + 1 })) });
  }

  close(): void {
    this.closed = true;
  }
}

const record = (eventId: string): Record => ({ eventId, timestamp: new Date(0), kind: { $case: 'product', value: { productId: 'p', title: '', description: '', url: '', imageLink: '', currency: '', brand: '', category: '', tags: [], availability: 0 } } });
const options = (overrides: Partial<DeliveryOptions> = {}): DeliveryOptions => ({ batchSize: 3, flushIntervalMs: 20, maxQueue: 100, requestTimeoutMs: 1000, retryBaseMs: 1, retryMaxMs: 5, ...overrides });
const ids = (n: number, prefix = 'e') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

it('sends full batches at once and the rest after the interval, in order', async () => {
  const transport = new ScriptedTransport();
  const delivery = new Delivery(transport, options());
  const outcomes = await Promise.all(ids(7).map((id) => delivery.enqueue(record(id))));
  expect(transport.requests).toEqual([['e0', 'e1', 'e2'], ['e3', 'e4', 'e5'], ['e6']]);
  expect(outcomes.map((o) => o.status)).toEqual(Array(7).fill('accepted'));
});

it('retries a retryable failure with the same records, and fails a final one without retrying', async () => {
  const transport = new ScriptedTransport([14, 8, 'accept', 16]);
  const retried: number[] = [];
  const delivery = new Delivery(transport, options({ onRetry: (error) => retried.push(error.code) }));
  const first = await Promise.all(ids(3).map((id) => delivery.enqueue(record(id))));
  expect(transport.requests).toEqual([['e0', 'e1', 'e2'], ['e0', 'e1', 'e2'], ['e0', 'e1', 'e2']]);
  expect(retried).toEqual([14, 8]);
  expect(first.map((o) => o.status)).toEqual(['accepted', 'accepted', 'accepted']);
  const [failed] = await Promise.all([delivery.enqueue(record('x'))]);
  expect(failed).toEqual({ status: 'failed', eventId: 'x', error: expect.objectContaining({ code: 16 }) });
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
