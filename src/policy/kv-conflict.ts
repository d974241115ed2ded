/**
 * Whether a key-value write lost a compare-and-set: another writer changed
 * the key first (an update against an old revision, or a create of a key
 * that exists). The ledger and the stores' compare-and-set (kv-states.ts) retry on it.
 */

/** Whether `error` is a lost compare-and-set of a key-value write. */
export const isKvConflict = (error: unknown): boolean => error instanceof Error && /wrong last sequence|key exists/i.test(error.message);
