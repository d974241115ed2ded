/**
 * What the browser client does when its page goes away. On `pagehide`, and
 * when the page is hidden (the last moment mobile browsers promise), it
 * saves what is queued to localStorage and sends it with fetch keepalive, in
 * requests whose bodies stay within the browser's 64 KiB keepalive budget.
 * The next load of a page of the same origin sends the saved records again,
 * with their own event ids: the gateway answers DUPLICATE for those that got
 * through, so each is stored once. When the page comes back into view, its
 * queue is live again and the saved copy is dropped.
 *
 * The saved queue holds at most {@link MAX_SAVED} records, the oldest; when
 * localStorage refuses that many, half as many, and so on. Records beyond
 * what is saved, and not sent within the keepalive budget, are lost with the
 * page.
 */
import { Record } from './gen/tributary/ingest/v1/record';
import { fromBase64, toBase64 } from './grpc-web/base64';
import type { TributaryClient } from './client';
import type { Transport } from './transport';

/** The localStorage key of the saved queue. */
export const SAVED_KEY = 'tributary.savedQueue';
/** Most records saved when a page goes away. */
export const MAX_SAVED = 1000;
/** Bytes of keepalive request bodies sent at once: under the 64 KiB browsers allow, with room for framing. */
export const KEEPALIVE_BUDGET = 60 * 1024;

/** The part of localStorage the SDK uses. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Saves `records` (at most MAX_SAVED, the oldest), halving them while storage refuses. */
export function saveQueue(records: readonly Record[], storage: KeyValueStorage): void {
  let kept = records.slice(0, MAX_SAVED).map((record) => toBase64(Record.encode(record).finish()));
  while (kept.length > 0) {
    try {
      storage.setItem(SAVED_KEY, JSON.stringify(kept));
      return;
    } catch {
      kept = kept.slice(0, Math.floor(kept.length / 2));
    }
  }
  storage.removeItem(SAVED_KEY);
}

/** Takes the saved queue out of storage; what does not read back as records is skipped. */
export function takeSavedQueue(storage: KeyValueStorage): Record[] {
  const text = storage.getItem(SAVED_KEY);
  storage.removeItem(SAVED_KEY);
  if (text === null) return [];
  try {
    const saved: unknown = JSON.parse(text);
    if (!Array.isArray(saved)) return [];
    return saved.flatMap((item) => {
      try {
        return typeof item === 'string' ? [Record.decode(fromBase64(item))] : [];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/** The records, oldest first, in batches whose encodings add up to at most `budget` bytes in all. */
export function keepaliveBatches(records: readonly Record[], budget = KEEPALIVE_BUDGET): Record[][] {
  const batches: Record[][] = [];
  let batch: Record[] = [];
  let used = 0;
  for (const record of records) {
    // A record's bytes, its field tag and length in the request, and the frame's header when it starts a batch.
    const size = Record.encode(record).finish().length + 6 + (batch.length === 0 ? 5 : 0);
    if (used + size > budget) break;
    used += size;
    batch.push(record);
    if (batch.length === 100) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** The browser events the client listens to. */
export interface PageEvents {
  addEventListener(type: 'pagehide' | 'visibilitychange', listener: () => void): void;
  readonly visibilityState: string;
}

/** Saves and sends the client's queue whenever the page goes away, as the file's header says. */
export function watchPageUnload(client: TributaryClient, transport: Transport, storage: KeyValueStorage | undefined, page: PageEvents): void {
  const leave = () => {
    const records = client.queuedRecords();
    if (records.length === 0) return storage?.removeItem(SAVED_KEY);
    if (storage !== undefined) saveQueue(records, storage);
    for (const batch of keepaliveBatches(records)) transport.sendBeforeUnload?.({ records: batch, sentAt: new Date() });
  };
  page.addEventListener('pagehide', leave);
  page.addEventListener('visibilitychange', () => {
    if (page.visibilityState === 'hidden') leave();
    else storage?.removeItem(SAVED_KEY);
  });
}
