/** Idempotent set-up of JetStream objects: update what exists, create what does not. */

/** Runs `update` when `info` succeeds (the object exists), `add` otherwise. */
export async function createOrUpdate(info: () => Promise<unknown>, update: () => Promise<unknown>, add: () => Promise<unknown>): Promise<void> {
  const exists = await info().then(
    () => true,
    () => false,
  );
  await (exists ? update() : add());
}
