/**
 * The consent decisions a process holds, by hashed id, in flat typed arrays
 * (hashed-id-table.ts for the ids, a pool of fixed-size decision records
 * linked per id), so a million decisions are a few buffers the garbage
 * collector never traces and about a hundred bytes each. A lookup builds
 * the id's ConsentEntry afresh (a few short-lived objects). Categories and
 * sources are held once each, counted, and let go when no decision names
 * them any more, so an erased decision leaves nothing of itself here.
 */
import { mergeEntry, wins, type ConsentEntry, type Decision } from './consent';
import { HashedIdTable } from './hashed-id-table';

/** The end of an id's list of records. */
const END = -1;
/** Records in a new pool. */
const INITIAL_RECORDS = 1024;

/** Strings held once each, with how many records name them. */
class Labels {
  private readonly texts: (string | undefined)[] = [];
  private readonly counts: number[] = [];
  private readonly ids = new Map<string, number>();
  private readonly freed: number[] = [];

  /** The id of `text`, counted once more. */
  take(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.freed.pop() ?? this.texts.length;
      this.texts[id] = text;
      this.counts[id] = 0;
      this.ids.set(text, id);
    }
    this.counts[id]++;
    return id;
  }

  /** Counts `id` once less, letting its text go at none. */
  release(id: number): void {
    if (--this.counts[id] > 0) return;
    this.ids.delete(this.texts[id] as string);
    this.texts[id] = undefined;
    this.freed.push(id);
  }

  text(id: number): string {
    return this.texts[id] as string;
  }

  /** The id of `text`, or undefined when no record names it. */
  idOf(text: string): number | undefined {
    return this.ids.get(text);
  }

  /** How many distinct texts are held. */
  get size(): number {
    return this.ids.size;
  }
}

/** Consent decisions by hashed id (IdHasher.binary's form). */
export class ConsentStore {
  private readonly index = new HashedIdTable();
  /** Per record: decided at, valid until (epoch ms). */
  private times = new Float64Array(INITIAL_RECORDS * 2);
  /** Per record: category label, source label × 2 + accept, next record of the id (or END; or the next free record). */
  private links = new Int32Array(INITIAL_RECORDS * 3);
  private top = 0;
  private free = END;
  private readonly categories = new Labels();
  private readonly sources = new Labels();

  /** How many ids have decisions. */
  get size(): number {
    return this.index.size;
  }

  /** How many distinct categories and sources the decisions held name. */
  get labels(): number {
    return this.categories.size + this.sources.size;
  }

  /** Whether `id` has decisions. */
  has(id: string): boolean {
    return this.index.get(id) !== undefined;
  }

  /** The decisions of `id`, or undefined. */
  get(id: string): ConsentEntry | undefined {
    const head = this.index.get(id);
    if (head === undefined) return undefined;
    const entry: Decision[] = [];
    for (let r = head; r !== END; r = this.links[r * 3 + 2]) entry.push(this.decisionAt(r));
    return entry;
  }

  /**
   * The winning decision on `category` among those of `ids` (the gateway's
   * check: it reads the records in place and builds only the winner).
   */
  latest(ids: readonly string[], category: string): Decision | undefined {
    const wanted = this.categories.idOf(category);
    if (wanted === undefined) return undefined;
    let best = END;
    for (const id of ids) {
      for (let r = this.index.get(id) ?? END; r !== END; r = this.links[r * 3 + 2]) {
        if (this.links[r * 3] === wanted && (best === END || this.recordWins(r, best))) best = r;
      }
    }
    return best === END ? undefined : this.decisionAt(best);
  }

  /** Merges `decisions` into those of `id` (src/policy/consent.ts); nothing changes when none wins. */
  merge(id: string, decisions: ConsentEntry): void {
    const held = this.get(id);
    const merged = mergeEntry(held, decisions);
    if (merged === held) return;
    this.delete(id);
    if (merged.length === 0) return;
    let head = END;
    for (let i = merged.length - 1; i >= 0; i--) head = this.add(merged[i], head);
    this.index.set(id, head);
  }

  /** Removes the decisions of `id`. */
  delete(id: string): void {
    let r = this.index.delete(id) ?? END;
    while (r !== END) {
      const next = this.links[r * 3 + 2];
      this.categories.release(this.links[r * 3]);
      this.sources.release(this.links[r * 3 + 1] >> 1);
      this.links[r * 3 + 2] = this.free;
      this.free = r;
      r = next;
    }
  }

  private decisionAt(r: number): Decision {
    const sourceAndAccept = this.links[r * 3 + 1];
    return {
      category: this.categories.text(this.links[r * 3]),
      accept: (sourceAndAccept & 1) === 1,
      decidedAt: this.times[r * 2],
      validUntil: this.times[r * 2 + 1],
      source: this.sources.text(sourceAndAccept >> 1),
    };
  }

  /** Whether record `a` wins over record `b` of the same category, as `wins` orders decisions: in place, but for sources that differ. */
  private recordWins(a: number, b: number): boolean {
    if (this.times[a * 2] !== this.times[b * 2]) return this.times[a * 2] > this.times[b * 2];
    const [sourceA, sourceB] = [this.links[a * 3 + 1], this.links[b * 3 + 1]];
    if ((sourceA & 1) !== (sourceB & 1)) return (sourceA & 1) === 0;
    if (this.times[a * 2 + 1] !== this.times[b * 2 + 1]) return this.times[a * 2 + 1] > this.times[b * 2 + 1];
    return sourceA !== sourceB && wins(this.decisionAt(a), this.decisionAt(b));
  }

  /** Stores one decision as a record before `next`; gives the record. */
  private add(decision: Decision, next: number): number {
    let r = this.free;
    if (r !== END) {
      this.free = this.links[r * 3 + 2];
    } else {
      if (this.top * 2 === this.times.length) this.growPool();
      r = this.top++;
    }
    this.times[r * 2] = decision.decidedAt;
    this.times[r * 2 + 1] = decision.validUntil;
    this.links[r * 3] = this.categories.take(decision.category);
    this.links[r * 3 + 1] = (this.sources.take(decision.source) << 1) | (decision.accept ? 1 : 0);
    this.links[r * 3 + 2] = next;
    return r;
  }

  private growPool(): void {
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    const links = new Int32Array(this.links.length * 2);
    links.set(this.links);
    [this.times, this.links] = [times, links];
  }
}
