/**
 * Idempotent set-up of JetStream objects: create what does not exist, update
 * what differs from its definition, and leave alone what already matches, so
 * that a role whose NATS user may not update a stream (deploy/nats/roles.conf)
 * still starts against one the operator has defined.
 */
import { JetStreamApiError } from '@nats-io/jetstream';

/** Whether every field `definition` sets has the same value in `existing` (arrays and objects compared by their JSON). */
export function matches(existing: object, definition: object): boolean {
  const current = existing as { [key: string]: unknown };
  return Object.entries(definition).every(([key, value]) => JSON.stringify(current[key]) === JSON.stringify(value));
}

/**
 * Reads the object's configuration with `info`; runs `add` when it does not exist (a 404), `update` when it
 * differs from `definition`, and nothing when it matches. Any other failure of `info` is thrown.
 */
export async function createOrUpdate<C extends object>(definition: Partial<C>, info: () => Promise<{ config: C }>, update: () => Promise<unknown>, add: () => Promise<unknown>): Promise<void> {
  let existing: C;
  try {
    existing = (await info()).config;
  } catch (error) {
    if (error instanceof JetStreamApiError && error.status === 404) {
      await add();
      return;
    }
    throw error;
  }
  if (!matches(existing, definition)) await update();
}
