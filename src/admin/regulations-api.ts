/**
 * The regulations of AdminService, whatever the transport: CreateRegulation
 * checks the request, records the regulation (subjects as hashed ids only),
 * puts its suppression or unsuppression of the named ids in the ledger
 * before it answers, and leaves the rest (identity groups, erasure, the
 * audit row) to the privacy stage; GetRegulation and ListRegulations read the store.
 */
import { randomUUID } from 'node:crypto';
import { IngestError } from '../errors/ingest-error';
import {
  RegulationStatus,
  RegulationType,
  type CreateRegulationRequest,
  type CreateRegulationResponse,
  type GetRegulationRequest,
  type GetRegulationResponse,
  type ListRegulationsResponse,
  type Regulation,
} from '../gen/tributary/admin/v1/admin_service';
import type { PolicyLedger } from '../policy/policy-ledger';
import { applyToLedger } from '../policy/apply-regulation';
import type { RegulationState, RegulationStore } from '../policy/regulation-store';
import { checkRegulationRequest } from './regulation-request';

/** What the regulations API needs. */
export interface RegulationsDependencies {
  readonly ledger: PolicyLedger;
  readonly store: RegulationStore;
  /** Whether a source id is one the installation knows (has a key). */
  readonly knownSource: (source: string) => boolean;
  readonly maxIdLength: number;
  readonly now: () => Date;
}

/** A regulation's state as the contract gives it: counts and times, never the hashed subjects. */
export function regulationMessage(state: RegulationState): Regulation {
  const erased = state.erased;
  return {
    id: state.id,
    type: RegulationType[state.kind],
    status: RegulationStatus[state.phase],
    sourceIds: [...state.sources],
    expandIdentity: state.expandIdentity,
    subjectCount: state.subjects.length,
    coveredIdCount: state.coveredCount ?? 0,
    createdAt: new Date(state.createdAt),
    finishedAt: state.finishedAt === undefined ? undefined : new Date(state.finishedAt),
    erased:
      erased === undefined
        ? undefined
        : { rowsDeleted: Object.entries(erased.rows).map(([table, rows]) => ({ table, rows })), streamMessagesErased: erased.streamMessages, deadLettersRemoved: erased.deadLetters },
    error: state.error ?? '',
    progress: state.progress,
  };
}

/** The three calls. */
export class RegulationsApi {
  constructor(private readonly deps: RegulationsDependencies) {}

  /** Records and starts a regulation; its suppression is in the ledger when this resolves. */
  async create(request: CreateRegulationRequest): Promise<CreateRegulationResponse> {
    const { kind, ids, sources, expandIdentity } = checkRegulationRequest(request, this.deps.knownSource, this.deps.maxIdLength);
    const { ledger, store } = this.deps;
    const subjects = [...new Set(ids.map((id) => ledger.hasher.of(id)))];
    // Every regulation is finished by the privacy stage, in the order they were made (so a later one wins), which also writes its audit row.
    const state: RegulationState = {
      id: randomUUID(),
      kind,
      phase: 'RUNNING',
      sources,
      expandIdentity,
      subjects,
      createdAt: this.deps.now().toISOString(),
      progress: 'waiting for the privacy stage',
    };
    // Recorded first: should this process stop before the ledger is changed, the privacy stage applies it from the record.
    await store.create(state);
    // The named ids at once, so the answer means suppressed (or not) at every gateway within the propagation bound.
    await applyToLedger(ledger, state, subjects);
    return { regulation: regulationMessage(state) };
  }

  /** One regulation. */
  async get(request: GetRegulationRequest): Promise<GetRegulationResponse> {
    if (request.id === '') throw new IngestError('INVALID_ADMIN_REQUEST', 'id is required', { violations: [{ field: 'id', description: 'REQUIRED: the regulation id' }] });
    const state = /^[0-9a-f-]{36}$/.test(request.id) ? await this.deps.store.get(request.id) : undefined;
    if (state === undefined) throw new IngestError('UNKNOWN_REGULATION', `no regulation has the id "${request.id}"`);
    return { regulation: regulationMessage(state) };
  }

  /** Every regulation, newest first. */
  async list(): Promise<ListRegulationsResponse> {
    return { regulations: (await this.deps.store.list()).map(regulationMessage) };
  }
}
