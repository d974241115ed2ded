/**
 * Where regulations live while they run and after: a JetStream key-value
 * bucket, one key per regulation id, its value the regulation's state as
 * JSON. The admin API creates them and reads them; the privacy stage (with
 * ClickHouse) watches for those still running and moves them on, so a
 * regulation outlives any process. Subjects are kept as hashed ids only.
 */
import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv';
import { StorageType } from '@nats-io/jetstream';
import type { QueuedIterator } from '@nats-io/nats-core';
import type { NatsLink } from '../stream/connection';
import { changeState, stateOf, statesNewestFirst } from './kv-states';

/** What a regulation does. */
export type RegulationKind = 'SUPPRESS' | 'UNSUPPRESS' | 'DELETE' | 'SUPPRESS_WITH_DELETE';
/** How far it has got. */
export type RegulationPhase = 'RUNNING' | 'FINISHED' | 'FAILED';

/** What an erasure removed. */
export interface ErasedCounts {
  /** Rows deleted, by table. */
  readonly rows: { readonly [table: string]: number };
  readonly streamMessages: number;
  readonly deadLetters: number;
}

/** A regulation's state. */
export interface RegulationState {
  readonly id: string;
  readonly kind: RegulationKind;
  readonly phase: RegulationPhase;
  /** The sources it covers; empty is every source. */
  readonly sources: readonly string[];
  readonly expandIdentity: boolean;
  /** The subjects' hashed ids. */
  readonly subjects: readonly string[];
  /** How many hashed ids it covers, the subjects' and their identity groups' (set once expanded; the ids are in erasure_keys). */
  readonly coveredCount?: number;
  readonly createdAt: string;
  readonly finishedAt?: string;
  readonly erased?: ErasedCounts;
  readonly error?: string;
  readonly progress: string;
}

/** Whether a regulation of `kind` erases. */
export const erases = (kind: RegulationKind): boolean => kind === 'DELETE' || kind === 'SUPPRESS_WITH_DELETE';

/** The bucket of the regulations of a stream's installation. */
export const regulationsBucket = (stream: string): string => `${stream}_REGULATIONS`;

/** The regulations bucket. */
export class RegulationStore {
  private constructor(private readonly kv: KV) {}

  /** Opens the bucket `bucket` with `replicas`, creating it when missing. */
  static async open(link: NatsLink, bucket: string, replicas: number): Promise<RegulationStore> {
    return new RegulationStore(await new Kvm(link.nc).create(bucket, { history: 1, replicas, storage: StorageType.File }));
  }

  /** Stores a new regulation. */
  async create(state: RegulationState): Promise<void> {
    await this.kv.create(state.id, JSON.stringify(state));
  }

  /** The regulation `id`, or undefined. */
  get(id: string): Promise<RegulationState | undefined> {
    return stateOf<RegulationState>(this.kv, id);
  }

  /** Every regulation, newest first. */
  list(): Promise<RegulationState[]> {
    return statesNewestFirst<RegulationState>(this.kv);
  }

  /**
   * Replaces a regulation's state while the stored one is still RUNNING
   * (compare-and-set), so a slower runner of it (another sink) cannot put
   * an ended regulation back to RUNNING. Returns false when it has ended.
   */
  async put(state: RegulationState): Promise<boolean> {
    const written = await changeState<RegulationState>(this.kv, state.id, (stored) => (stored.phase === 'RUNNING' ? state : undefined), `the regulation ${state.id}`);
    return written !== undefined;
  }

  /** Watches every regulation: those stored now, then each change. */
  watch(): Promise<QueuedIterator<KvWatchEntry>> {
    return this.kv.watch();
  }
}
