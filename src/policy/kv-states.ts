/**
 * Reading every state of a key-value bucket whose values are JSON states
 * with a creation time (the regulations, the tasks): each key's current
 * value, newest first. A key that was deleted, or whose value is gone, is
 * left out.
 */
import type { KV } from '@nats-io/kv';

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
