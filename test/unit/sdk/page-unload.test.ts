/**
 * The browser client's page-unload handling on its own, with an in-memory
 * storage and page: the saved queue (bounded, halved when storage refuses,
 * read back with the same event ids), keepalive batches within the budget,
 * and what happens on pagehide, on hiding and on coming back into view.
 * test/integration/browser covers it in Chromium.
 */
import { TributaryClient } from '../../../sdk/src/client';
import { keepaliveBatches, KEEPALIVE_BUDGET, MAX_SAVED, SAVED_KEY, saveQueue, takeSavedQueue, watchPageUnload, type KeyValueStorage, type PageEvents } from '../../../sdk/src/page-unload';
import type { Transport } from '../../../sdk/src/transport';
import type { IngestRequest, IngestResponse } from '../../../sdk/src/gen/tributary/ingest/v1/ingest_service';
import { Record } from '../../../sdk/src/gen/tributary/ingest/v1/record';

class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  constructor(private readonly quota = Infinity) {}
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (value.length > this.quota) throw new Error('QuotaExceededError');
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

const record = (eventId: string, bytes = 10): Record => ({
  eventId,
  timestamp: new Date(1_700_000_000_000),
  kind: {
    $case: 'event',
    value: { profileId: 'p', userId: '', sessionId: '', accountId: '', pageId: '', context: undefined, call: { $case: 'track', value: { name: 'T', data: { pad: 'x'.repeat(bytes) } } } },
  },
});
const ids = (records: readonly Record[]) => records.map((r) => r.eventId);

it('saves the oldest MAX_SAVED records and reads them back with their own ids, once', () => {
  const storage = new MemoryStorage();
  const records = Array.from({ length: MAX_SAVED + 5 }, (_, i) => record(`e${i}`));
  saveQueue(records, storage);
  const back = takeSavedQueue(storage);
  expect(ids(back)).toEqual(ids(records.slice(0, MAX_SAVED)));
  expect(back[0]).toEqual(records[0]);
  expect(takeSavedQueue(storage)).toEqual([]);
});

it('halves what it saves while storage refuses, and skips what does not read back', () => {
  const storage = new MemoryStorage(15_000);
  saveQueue(
    Array.from({ length: 200 }, (_, i) => record(`e${i}`, 100)),
    storage,
  );
  // 200 records of about 190 characters saved do not fit in 15,000; halved, 100 do not either, and 50 do.
  expect(takeSavedQueue(storage).length).toBe(50);
  storage.setItem(SAVED_KEY, JSON.stringify(['not base64 of a record!', 42]));
  expect(takeSavedQueue(storage)).toEqual([]);
});

it('sends keepalive batches within the budget, oldest first', () => {
  const records = Array.from({ length: 30 }, (_, i) => record(`e${i}`, 5000));
  const batches = keepaliveBatches(records);
  const sent = batches.flat();
  expect(ids(sent)).toEqual(ids(records.slice(0, sent.length)));
  expect(sent.length).toBeLessThan(30);
  expect(sent.reduce((sum, r) => sum + Record.encode(r).finish().length, 0)).toBeLessThanOrEqual(KEEPALIVE_BUDGET);
  expect(keepaliveBatches(records.slice(0, 3), 10)).toEqual([]);
});

it('on pagehide and on hiding, saves and sends the queue; back in view, drops the saved copy', async () => {
  // The client's flush timer (60 s) and its never-answered call would otherwise keep jest waiting after the run.
  jest.useFakeTimers();
  const sent: IngestRequest[] = [];
  const transport: Transport = {
    ingest: () => new Promise<IngestResponse>(() => undefined),
    sendBeforeUnload: (request) => sent.push(request),
    close: () => undefined,
  };
  const listeners = new Map<string, () => void>();
  const page: PageEvents & { visibilityState: string } = { visibilityState: 'visible', addEventListener: (type, listener) => listeners.set(type, listener) };
  const storage = new MemoryStorage();
  const client = new TributaryClient(transport, { library: { name: 't', version: '0' }, profileId: 'p', batchSize: 100, flushIntervalMs: 60_000 });
  watchPageUnload(client, transport, storage, page);
  void client.track('A');
  void client.track('B');

  page.visibilityState = 'hidden';
  listeners.get('visibilitychange')?.();
  expect(sent.flatMap((r) => ids(r.records))).toHaveLength(2);
  expect(takeSavedQueue(storage)).toHaveLength(2);

  listeners.get('pagehide')?.();
  page.visibilityState = 'visible';
  listeners.get('visibilitychange')?.();
  expect(storage.getItem(SAVED_KEY)).toBeNull();
  expect(sent).toHaveLength(2);
  jest.clearAllTimers();
  jest.useRealTimers();
});
