/**
 * Runs one regulation to its end, each step safe to run again, so a
 * regulation cut short by a crash is run from the start after a restart and
 * ends the same: expand the named ids to the persons' identity groups,
 * apply the regulation to the ledger for every covered id, and, for an
 * erasure, wait until the stages have stored what the stream held, then
 * erase the persons' stream messages (before the rows that name them, so a
 * crash in between finds them again), dead letters, consent decisions and
 * rows. Its state and
 * progress go to the regulation store, and its end to the audit table.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { errorMessage, sleep } from '../lifecycle/backoff';
import { applyToLedger, forgetConsent } from '../policy/apply-regulation';
import type { PolicyLedger } from '../policy/policy-ledger';
import { erases, type RegulationState, type RegulationStore } from '../policy/regulation-store';
import { toDateTime64 } from '../storage/datetime';
import { SETTINGS } from '../storage/clickhouse-client';
import { ClickHouseErasure } from './clickhouse-erasure';
import { eraseDeadLetters } from './dead-letter-erasure';
import { expandIdentity } from './identity-expansion';
import { deliveredUpTo, eraseMessages, waitForConsumers, waitForDelivered } from '../stream/stream-erasure';
import { redrivesInHand, waitForRedrives } from '../tasks/redrive-pages';
import type { TaskStore } from '../tasks/task-store';

/** How soon a change of the ledger is in force at every gateway (docs/privacy.md). */
const PROPAGATION_MS = 2000;

/** What running a regulation needs. */
export interface RunnerParts {
  readonly client: ClickHouseClient;
  readonly database: string;
  readonly ledger: PolicyLedger;
  readonly store: RegulationStore;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly deadLetterStream: string;
  /** The durable consumers that store records (sink, identity), which erasure waits for. */
  readonly durables: readonly string[];
  /** The start of the names of replay consumers, whose batches in hand erasure waits for too. */
  readonly replayPrefix: string;
  /** Whether a process runs the replay of a consumer (by its name): only those are waited for. */
  readonly replayRunning: (consumer: string) => Promise<boolean>;
  /** The durable tasks, whose running redrives erasure waits for (src/tasks/redrive-pages.ts). */
  readonly tasks: TaskStore;
  /** The accounting stream and the sink's consumer of it, which erasure waits for too: rejection samples in it are stored before the rows are erased. */
  readonly accounting: { readonly stream: string; readonly durable: string };
  readonly logger: Logger;
}

/**
 * Runs `initial` (a RUNNING regulation) to FINISHED; throws when a step
 * fails (the stage tries again, and records FAILED at last with
 * {@link failRegulation}). `signal` stops it while it waits for the stages
 * or erases stream messages.
 */
export async function runRegulation(parts: RunnerParts, initial: RegulationState, signal: AbortSignal): Promise<RegulationState> {
  const { client, database, ledger, store, jsm } = parts;
  let state = initial;
  // How long each step took, by its progress line, for the log.
  const stepsMs: { [step: string]: number } = {};
  let stepStart = performance.now();
  const update = async (changes: Partial<RegulationState>): Promise<void> => {
    if (changes.progress !== undefined && changes.progress !== state.progress) {
      const step = state.progress.replace(/ \(.*\)$/, '');
      stepsMs[step] = (stepsMs[step] ?? 0) + Math.round(performance.now() - stepStart);
      stepStart = performance.now();
    }
    state = { ...state, ...changes };
    if (!(await store.put(state))) throw new RegulationEnded(state.id);
  };
  const erasure = new ClickHouseErasure(client, database, ledger.hasher.salt);
  await update({ progress: 'expanding the identity groups' });
  await erasure.storeKeys(state.id, state.subjects);
  // What an earlier run stored counts too: it expanded from a graph this run may find partly erased.
  const covered = new Set([...state.subjects, ...(await erasure.keysOf(state.id))]);
  if (state.expandIdentity) {
    for (const id of await expandIdentity(client, database, erasure.covered(state.id))) covered.add(ledger.hasher.of(id));
    // An unsuppression also lifts what the suppressions of its subjects covered, whose graph an erasure may have removed.
    if (state.kind === 'UNSUPPRESS') for (const hashed of ledger.coveredWith(state.subjects)) covered.add(hashed);
  }
  const coveredList = [...covered];
  await erasure.storeKeys(state.id, coveredList);
  // From here on a replay or a redrive holds the persons' records back (src/repair/replay-holds.ts); what they took before, they store before the erasure reads the tables.
  const replays = erases(state.kind) ? await deliveredUpTo(jsm, parts.stream, parts.replayPrefix) : undefined;
  const redrives = erases(state.kind) ? await redrivesInHand(parts.tasks, Date.now()) : undefined;
  await update({ coveredCount: covered.size, progress: `applying to the ledger for ${covered.size} ids` });
  await applyToLedger(ledger, state, coveredList);
  if (erases(state.kind)) {
    // A gateway that checked a record before the ledger changed publishes it within this bound: it must be in the stream before the erasure reads where the stream ends.
    if (state.kind === 'SUPPRESS_WITH_DELETE') await sleep(PROPAGATION_MS, signal);
    const lastSeq = (await jsm.streams.info(parts.stream)).state.last_seq;
    // No accounting stream (accounting off): no sample to wait for.
    const lastSample = await jsm.streams.info(parts.accounting.stream).then(
      (info) => info.state.last_seq,
      (error: unknown) => {
        if (error instanceof JetStreamApiError && error.status === 404) return 0;
        throw error;
      },
    );
    let said = '';
    const onWait = (what: string) => void (what !== said && update({ progress: (said = what) }).catch(() => undefined));
    await waitForConsumers(jsm, parts.stream, parts.durables, lastSeq, onWait, signal);
    await waitForConsumers(jsm, parts.accounting.stream, [parts.accounting.durable], lastSample, onWait, signal);
    await waitForDelivered(jsm, parts.stream, replays ?? new Map(), parts.replayRunning, onWait, signal);
    await waitForRedrives(parts.tasks, redrives ?? new Map(), onWait, signal);
    await update({ progress: 'erasing the stream messages and dead letters' });
    const seqs = await erasure.streamSeqs(state.id);
    const dead = await eraseDeadLetters(erasure, jsm, parts.deadLetterStream, (id) => covered.has(ledger.hasher.of(id)));
    const toErase = [...new Set([...seqs, ...dead.originalSeqs])];
    const streamMessages = await eraseMessages(
      jsm,
      parts.stream,
      toErase,
      (done) => void update({ progress: `erasing the stream messages and dead letters (${done} of ${toErase.length})` }).catch(() => undefined),
      signal,
    );
    // After the stages caught up: none of them writes these decisions back from the stream.
    await forgetConsent(ledger, coveredList);
    await update({ progress: 'erasing the stored rows' });
    const rows = await erasure.eraseRows(state.id);
    state = { ...state, erased: { rows, streamMessages, deadLetters: dead.removed } };
  }
  const finished: RegulationState = { ...state, phase: 'FINISHED', finishedAt: new Date().toISOString(), progress: 'done' };
  // The audit row first: a regulation marked FINISHED is never run again, so its row must exist by then.
  await audit(client, database, finished);
  await update(finished);
  parts.logger.info({ regulation: state.id, kind: state.kind, covered: covered.size, erased: state.erased, stepsMs }, 'regulation finished');
  return state;
}

/** A regulation that another runner (a second sink) ended while this one ran it: nothing is left to do. */
export class RegulationEnded extends Error {
  constructor(id: string) {
    super(`the regulation ${id} was ended by another runner`);
    this.name = 'RegulationEnded';
  }
}

/** Records that `state` failed for good with `error`, unless another runner ended it meanwhile. */
export async function failRegulation(parts: RunnerParts, state: RegulationState, error: unknown): Promise<void> {
  const failed: RegulationState = { ...state, phase: 'FAILED', finishedAt: new Date().toISOString(), error: errorMessage(error), progress: 'failed' };
  await audit(parts.client, parts.database, failed);
  await parts.store.put(failed);
}

/** Writes the regulation's row of the audit table (the newest row of an id wins). */
async function audit(client: ClickHouseClient, database: string, state: RegulationState): Promise<void> {
  const row = {
    regulation_id: state.id,
    type: state.kind,
    status: state.phase,
    source_ids: state.sources,
    expand_identity: state.expandIdentity ? 1 : 0,
    subject_hashes: state.subjects,
    covered_ids: state.coveredCount ?? 0,
    created_at: toDateTime64(new Date(state.createdAt)),
    finished_at: state.finishedAt === undefined ? null : toDateTime64(new Date(state.finishedAt)),
    rows_deleted: state.erased?.rows ?? {},
    stream_messages_erased: state.erased?.streamMessages ?? 0,
    dead_letters_removed: state.erased?.deadLetters ?? 0,
    error: state.error ?? '',
    updated_at: toDateTime64(new Date()),
  };
  await client.command({ query: `INSERT INTO ${database}.regulations FORMAT JSONEachRow ${JSON.stringify(row)}`, clickhouse_settings: SETTINGS });
}
