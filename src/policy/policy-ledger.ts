/**
 * The policy ledger: the decisions every gateway enforces, in a JetStream
 * key-value bucket that each process watches into memory, so a check costs
 * a hash and a map lookup and a change made through any gateway reaches all
 * of them as soon as the server delivers it. Keys name hashed ids
 * (id-hash.ts), never ids; the bucket's `salt` key holds the installation's
 * salt, written once by whichever process comes first.
 */
import { randomBytes } from 'node:crypto';
import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv';
import { StorageType } from '@nats-io/jetstream';
import type { QueuedIterator } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import type { NatsLink } from '../stream/connection';
import { IdHasher } from './id-hash';
import { isKvConflict } from './kv-conflict';
import { covers, parseSuppression, type Suppression } from './suppression';

/** The key of the installation's salt. */
const SALT_KEY = 'salt';
/** The prefix of a suppression's key: `suppress.<hashed id>`. */
const SUPPRESS = 'suppress.';
/** Distinct suppression texts kept for sharing. */
const MAX_ALIKE = 10_000;
/** Attempts of a compare-and-set change before it gives up (another writer kept winning). */
const MAX_ATTEMPTS = 20;

/** The bucket of the ledger of a stream's installation. */
export const ledgerBucket = (stream: string): string => `${stream}_POLICY`;

/** The ledger as one process holds it. */
export class PolicyLedger {
  /** Suppressions by hashed id in its binary form (32 one-byte characters, the smallest string key); entries of one regulation share one object. */
  private readonly suppressions = new Map<string, Suppression>();
  /** The suppressions read, by their stored text: a regulation's entries are alike, so 100,000 ids hold a few objects. */
  private readonly alike = new Map<string, Suppression>();
  private watcher: QueuedIterator<KvWatchEntry> | undefined;
  private closed = false;

  private constructor(
    private readonly kv: KV,
    /** Hashes ids as the ledger's keys name them. */
    readonly hasher: IdHasher,
  ) {}

  /**
   * Opens (creating it when missing) the bucket `bucket` with `replicas`,
   * its salt, and a watch of every key; resolves once the entries that
   * exist are loaded.
   */
  static async open(link: NatsLink, bucket: string, replicas: number, logger: Logger): Promise<PolicyLedger> {
    const kv = await new Kvm(link.nc).create(bucket, { history: 1, replicas, storage: StorageType.File });
    const ledger = new PolicyLedger(kv, new IdHasher(await saltOf(kv)));
    await ledger.watch(logger);
    return ledger;
  }

  /** How many hashed ids are suppressed for some source. */
  get suppressedCount(): number {
    return this.suppressions.size;
  }

  /** Whether any of `ids` (empty ones are skipped) is suppressed for `source`. The gateway's check: a hash and a lookup per id. */
  suppresses(source: string, ids: readonly string[]): boolean {
    if (this.suppressions.size === 0) return false;
    for (const id of ids) {
      const entry = this.suppressions.get(this.hasher.binary(id));
      if (entry !== undefined && covers(entry, source)) return true;
    }
    return false;
  }

  /** The suppression of a hashed id, as this process last saw it. */
  suppressionOf(hashedId: string): Suppression | undefined {
    return this.suppressions.get(IdHasher.binaryOf(hashedId));
  }

  /**
   * Every hashed id suppressed by a regulation that also suppressed one of
   * `hashedIds`: the persons' other ids, as those suppressions covered them.
   */
  coveredWith(hashedIds: readonly string[]): string[] {
    const regulations = new Set(hashedIds.map((hashed) => this.suppressionOf(hashed)?.regulation).filter((r): r is string => r !== undefined));
    const found: string[] = [];
    for (const [binary, entry] of this.suppressions) if (regulations.has(entry.regulation)) found.push(Buffer.from(binary, 'binary').toString('hex'));
    return found;
  }

  /**
   * Changes the suppression of `hashedId` to what `change` makes of the
   * stored one (undefined removes it), compare-and-set against other
   * writers. Returns what is stored now.
   */
  async change(hashedId: string, change: (entry: Suppression | undefined) => Suppression | undefined): Promise<Suppression | undefined> {
    const key = SUPPRESS + hashedId;
    // Most changes add an id the ledger does not hold: try that first, and read the entry only when it exists.
    const fresh = change(undefined);
    if (fresh !== undefined) {
      try {
        await this.kv.create(key, JSON.stringify(fresh));
        return fresh;
      } catch (error) {
        if (!isKvConflict(error)) throw error;
      }
    }
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.kv.get(key);
      const live = stored !== null && stored.operation === 'PUT';
      const before = live ? parseSuppression(stored.string()) : undefined;
      const after = change(before);
      // The same change again writes nothing: no new revision for every gateway to take.
      if (JSON.stringify(after) === JSON.stringify(before)) return after;
      try {
        if (after === undefined) {
          if (live) await this.kv.delete(key, { previousSeq: stored.revision });
        } else if (live) {
          await this.kv.update(key, JSON.stringify(after), stored.revision);
        } else {
          await this.kv.create(key, JSON.stringify(after));
        }
        return after;
      } catch (error) {
        if (!isKvConflict(error)) throw error;
      }
    }
    throw new Error(`the ledger entry kept changing under ${MAX_ATTEMPTS} attempts to change it`);
  }

  /** Stops watching. */
  close(): void {
    this.closed = true;
    this.watcher?.stop();
  }

  private async watch(logger: Logger): Promise<void> {
    let loaded!: () => void;
    const done = new Promise<void>((resolve) => (loaded = resolve));
    const watcher = (this.watcher = await this.kv.watch());
    void (async () => {
      for await (const entry of watcher) {
        this.apply(entry, logger);
        if (entry.delta === 0) loaded();
      }
      if (!this.closed) logger.error('the policy ledger is no longer watched: changes made from now on are not enforced here until a restart');
    })();
    await done;
  }

  private apply(entry: KvWatchEntry, logger: Logger): void {
    if (!entry.key.startsWith(SUPPRESS)) return;
    const hashed = IdHasher.binaryOf(entry.key.slice(SUPPRESS.length));
    if (entry.operation !== 'PUT') {
      this.suppressions.delete(hashed);
      return;
    }
    const text = entry.string();
    let suppression = this.alike.get(text);
    if (suppression === undefined) {
      suppression = parseSuppression(text);
      if (suppression === undefined) return void logger.warn({ key: entry.key }, 'the policy ledger holds an entry this version cannot read; it is not enforced');
      // Kept while small: past it, entries are many regulations' and sharing saves little.
      if (this.alike.size < MAX_ALIKE) this.alike.set(text, suppression);
    }
    this.suppressions.set(hashed, suppression);
  }
}

/** The bucket's salt: the one stored, or a new one stored by this process when it is the first. */
async function saltOf(kv: KV): Promise<string> {
  const stored = await kv.get(SALT_KEY);
  if (stored !== null && stored.operation === 'PUT') return stored.string();
  try {
    await kv.create(SALT_KEY, randomBytes(32).toString('base64url'));
  } catch (error) {
    if (!isKvConflict(error)) throw error;
  }
  const salt = await kv.get(SALT_KEY);
  if (salt === null || salt.operation !== 'PUT') throw new Error('the policy ledger has no salt');
  return salt.string();
}
