/**
 * The policy ledger: the decisions every gateway enforces, in a JetStream
 * key-value bucket that each process watches into memory, so a check costs
 * a hash and a map lookup and a change made through any gateway reaches all
 * of them as soon as the server delivers it: suppressions
 * (`suppress.<hashed id>`) and consent (`consent.<hashed id>`, each
 * category's winning decision). Keys name hashed ids (id-hash.ts), never
 * ids; the bucket's `salt` key holds the installation's salt, written once
 * by whichever process comes first.
 */
import { randomBytes } from 'node:crypto';
import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv';
import { StorageType } from '@nats-io/jetstream';
import type { QueuedIterator } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import type { NatsLink } from '../stream/connection';
import { IdHasher } from './id-hash';
import { formatEntry, mergeEntry, parseEntry, type ConsentEntry, type Decision } from './consent';
import { ConsentStore } from './consent-store';
import { isKvConflict } from './kv-conflict';
import { covers, parseSuppression, type Suppression } from './suppression';

/** The key of the installation's salt. */
const SALT_KEY = 'salt';
/** The prefix of a suppression's key: `suppress.<hashed id>`. */
const SUPPRESS = 'suppress.';
/** The prefix of an id's consent decisions' key: `consent.<hashed id>`. */
const CONSENT = 'consent.';
/** A hashed id as keys name it: IdHasher.of's lowercase hex. */
const HASHED_ID = /^[0-9a-f]{64}$/;
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
  /** Consent decisions by hashed id in its binary form, in flat buffers (consent-store.ts). */
  private readonly consents = new ConsentStore();
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

  /** Whether any of `binaryIds` (hashed ids in their binary form, IdHasher.binary) is suppressed for `source`. The gateway's check: a lookup per id. */
  suppresses(source: string, binaryIds: readonly string[]): boolean {
    for (const id of binaryIds) {
      const entry = this.suppressions.get(id);
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
    for (const [binary, entry] of this.suppressions) if (regulations.has(entry.regulation)) found.push(IdHasher.hexOf(binary));
    return found;
  }

  /** How many hashed ids have consent decisions. */
  get consentCount(): number {
    return this.consents.size;
  }

  /** The winning consent decision on `category` among those of `binaryIds` (hashed ids, IdHasher.binary), as this process holds them. */
  latestConsent(binaryIds: readonly string[], category: string): Decision | undefined {
    return this.consents.latest(binaryIds, category);
  }

  /** Whether this process holds consent decisions of a hashed id in its binary form (IdHasher.binary). */
  holdsConsent(binaryId: string): boolean {
    return this.consents.has(binaryId);
  }

  /** The consent decisions of a hashed id in its binary form (IdHasher.binary), as this process holds them. */
  consentOf(binaryId: string): ConsentEntry | undefined {
    return this.consents.get(binaryId);
  }

  /**
   * Changes the suppression of `hashedId` to what `change` makes of the
   * stored one (undefined removes it), compare-and-set against other
   * writers. Returns what is stored now.
   */
  change(hashedId: string, change: (entry: Suppression | undefined) => Suppression | undefined): Promise<Suppression | undefined> {
    return this.compareAndSet(SUPPRESS + hashedId, parseSuppression, JSON.stringify, change);
  }

  /**
   * Merges `decisions` into the consent of `hashedId` (compare-and-set;
   * nothing is written when none wins), and into this process's copy at
   * once, so a record this process checks next sees them. Returns the
   * entry stored now.
   */
  async decide(hashedId: string, decisions: readonly Decision[]): Promise<ConsentEntry> {
    const binary = IdHasher.binaryOf(hashedId);
    const merge = (stored: ConsentEntry | undefined) => mergeEntry(stored, decisions);
    const entry = (await this.compareAndSet(CONSENT + hashedId, parseEntry, formatEntry, merge, this.consents.has(binary))) ?? [];
    // Merging, not replacing: an older revision the watch delivers after this write takes nothing back.
    this.consents.merge(binary, entry);
    return entry;
  }

  /** Removes the consent decisions of `hashedId` (an erased person's). */
  async forgetConsent(hashedId: string): Promise<void> {
    await this.kv.delete(CONSENT + hashedId);
  }

  /**
   * Sets `key` to what `change` makes of its stored value (undefined
   * removes it), compare-and-set against other writers; the same value
   * again writes nothing. `exists` says this process holds the key, so a
   * create would only conflict. Returns what is stored now.
   */
  private async compareAndSet<T>(
    key: string,
    read: (text: string) => T | undefined,
    write: (value: T) => string,
    change: (stored: T | undefined) => T | undefined,
    exists = false,
  ): Promise<T | undefined> {
    // Most changes add an id the ledger does not hold: try that first, and read the entry only when it exists.
    const fresh = exists ? undefined : change(undefined);
    if (fresh !== undefined) {
      try {
        await this.kv.create(key, write(fresh));
        return fresh;
      } catch (error) {
        if (!isKvConflict(error)) throw error;
      }
    }
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.kv.get(key);
      const live = stored !== null && stored.operation === 'PUT';
      const before = live ? read(stored.string()) : undefined;
      const after = change(before);
      // The same change again writes nothing: no new revision for every gateway to take.
      if ((after === undefined ? undefined : write(after)) === (before === undefined ? undefined : write(before))) return after;
      try {
        if (after === undefined) {
          if (live) await this.kv.delete(key, { previousSeq: stored.revision });
        } else if (live) {
          await this.kv.update(key, write(after), stored.revision);
        } else {
          await this.kv.create(key, write(after));
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
        try {
          this.apply(entry, logger);
        } catch (error) {
          // One entry this process cannot hold must not end the watch of every other.
          logger.error({ key: entry.key, err: error instanceof Error ? error.message : String(error) }, 'a policy ledger entry could not be applied; it is not enforced');
        }
        if (entry.delta === 0) loaded();
      }
      if (!this.closed) logger.error('the policy ledger is no longer watched: changes made from now on are not enforced here until a restart');
    })();
    await done;
  }

  private apply(entry: KvWatchEntry, logger: Logger): void {
    const [, kind, hex] = /^(suppress|consent)\.(.*)$/.exec(entry.key) ?? [];
    if (kind === undefined) return;
    // A key this version did not write (not a hashed id) is skipped, never let to stop the watch.
    if (!HASHED_ID.test(hex)) return void logger.warn({ key: entry.key }, 'the policy ledger holds a key that names no hashed id; it is not enforced');
    if (kind === 'consent') return this.applyConsent(entry, IdHasher.binaryOf(hex), logger);
    const hashed = IdHasher.binaryOf(hex);
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

  private applyConsent(entry: KvWatchEntry, hashed: string, logger: Logger): void {
    if (entry.operation !== 'PUT') return this.consents.delete(hashed);
    const decisions = parseEntry(entry.string());
    if (decisions === undefined) return void logger.warn({ key: entry.key }, 'the policy ledger holds an entry this version cannot read; it is not enforced');
    this.consents.merge(hashed, decisions);
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
