/**
 * Changes to the policy ledger made a bounded number at a time: each is a
 * round trip to NATS, and thousands at once would only queue there.
 */

/** Changes made to the ledger at once. */
const CONCURRENT_CHANGES = 64;

/** Runs `change` for each of `items`, {@link CONCURRENT_CHANGES} at a time; rejects with the first failure. */
export async function inChunks<T>(items: readonly T[], change: (item: T) => Promise<unknown>): Promise<void> {
  for (let at = 0; at < items.length; at += CONCURRENT_CHANGES) await Promise.all(items.slice(at, at + CONCURRENT_CHANGES).map(change));
}
