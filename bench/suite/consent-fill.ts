/**
 * Fills a policy ledger with consent decisions for a benchmark, as fast as
 * JetStream takes them: an accept of one category for each id given, and
 * for made-up ids that no record names up to the total, each published
 * straight to the bucket's subject under the ledger's hashed key (the
 * gateway's own writes take a compare-and-set each, far slower, and are
 * not what is measured).
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { formatEntry } from '../../src/policy/consent';
import { IdHasher } from '../../src/policy/id-hash';

/** Publishes in flight at once. */
const WINDOW = 2000;

/** Puts `total` accepts of `category` into the ledger bucket `bucket`, first those of `ids`; gives the seconds it took. */
export async function fillConsent(jsm: JetStreamManager, bucket: string, ids: readonly string[], total: number, category: string): Promise<number> {
  const started = performance.now();
  const js = jsm.jetstream();
  // The gateway that started first wrote the installation's salt.
  const salt = await (await new Kvm(js).open(bucket)).get('salt');
  if (salt === null) throw new Error(`the ledger ${bucket} has no salt yet`);
  const hasher = new IdHasher(salt.string());
  const now = Date.now();
  const entry = formatEntry([{ category, accept: true, decidedAt: now, validUntil: now + 365 * 86_400_000, source: 'bench' }]);
  const idAt = (i: number) => (i < ids.length ? ids[i] : `consented-${i}@example.com`);
  for (let from = 0; from < total; from += WINDOW) {
    const to = Math.min(total, from + WINDOW);
    await Promise.all(Array.from({ length: to - from }, (_, k) => js.publish(`$KV.${bucket}.consent.${hasher.of(idAt(from + k))}`, entry)));
  }
  return (performance.now() - started) / 1000;
}
