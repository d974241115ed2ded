/**
 * Reading every state of a key-value bucket whose values are JSON states
 * with a creation time (the regulations, the tasks): each key's current
 * value, newest first (a key that was deleted, or whose value is gone, is
 * left out); and changing one by compare-and-set.
 */
import type { KV } from '@nats-io/kv';
import { isKvConflict } from './kv-conflict';

/** Attempts of a compare-and-set write before it gives up (another writer kept writing). */
const MAX_ATTEMPTS = 20;

/** The current JSON value of `key` in `kv`, or undefined. */
export async function stateOf<T>(kv: KV, key: string): Promise<T | undefined> {
  const entry = await kv.get(key);
  return entry === null || entry.operation !== 'PUT' ? undefined : entry.json<T>();
}

/** Every state in `kv`, newest first by `createdAt`. */
export async function statesNewestFirst<T extends { readonly createdAt: string }>(kv: KV): Promise<T[]> {
  const states: T[] = [];
  for await (const key of await kv.keys()) {
    const state = await stateOf<T>(kv, key);
    if (state !== undefined) states.push(state);
  }
  return states.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/**
 * Writes what `change` makes of the state stored at `key`, if it is still
 * there as it was read (compare-and-set; read again and retried when
 * another writer came first). `change` returns undefined to write nothing.
 * Returns the state written, or undefined when nothing was (no such key, or
 * `change` declined); throws after MAX_ATTEMPTS lost races, naming `what`.
 */
export async function changeState<T>(kv: KV, key: string, change: (state: T) => T | undefined, what: string): Promise<T | undefined> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const entry = await kv.get(key);
    if (entry === null || entry.operation !== 'PUT') return undefined;
    const next = change(entry.json<T>());
    if (next === undefined) return undefined;
    try {
      await kv.update(key, JSON.stringify(next), entry.revision);
      return next;
    } catch (error) {
      if (!isKvConflict(error)) throw error;
    }
  }
  throw new Error(`${what} kept changing under ${MAX_ATTEMPTS} attempts to write it`);
}
