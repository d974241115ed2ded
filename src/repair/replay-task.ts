/**
 * A replay: the stream's messages in a window, on a durable consumer of the
 * task's own (the live consumers are left alone), once the live consumers
 * have handled the window, through the identity stage's path (identify,
 * alias and consent records: links decided before keep their decisions, so
 * only what is missing is rebuilt) and the sink's
 * (src/sink/sink-batches.ts), whose redelivery check leaves out the rows
 * stored already, so a replay over existing rows adds none. Messages outside
 * the filters, and those it holds back (a suppressed or erased person's:
 * replay-holds.ts), are acked and counted as skipped. Progress is written
 * with each batch; a replay cut short goes on where its consumer was, in
 * whichever process claims its task next (messages the stopped runner held
 * come again once their ack wait ends). It ends once a message past its
 * window came and every message up to the window's end is acked, or when
 * its consumer has nothing left; its consumer is deleted at the end.
 */
import { AckPolicy, DeliverPolicy, JetStreamApiError, type ConsumerConfig, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import { Envelope } from '../gen/tributary/ingest/v1/envelope';
import { sleep } from '../lifecycle/backoff';
import { createHash } from 'node:crypto';
import type { SinkBatches, SinkRow } from '../sink/sink-batches';
import { objectRow, type ClickHouseWriter, type PendingRow } from '../storage/clickhouse-writer';
import { HAND_BACK_DELAY_MS } from '../stages/message-batches';
import { waitForConsumers } from '../stream/stream-erasure';
import { ConsumerLoop, type BatchHandler, type ConsumerLoopOptions, type Retrying } from '../stages/consumer-loop';
import type { ReplayHolds } from './replay-holds';
import { pastWindow, replayFilterSubject, selected, subjectParts } from './replay-filter';
import { IDENTITY_CALLS } from '../stages/consumers';
import { envelopeOf } from '../stages/envelope-of';
import type { StageMessage } from '../stages/dead-letters';
import { TaskLost, type TaskHold, type TaskRun } from './task-stage';
import type { ReplaySpec, TaskProgress } from '../tasks/task-store';

/** What stands for an envelope that does not decode: it names no record. */
const UNREADABLE = Envelope.fromPartial({});

/** How often a replay looks whether its consumer has anything left. */
const DONE_CHECK_MS = 1000;

/** What replays need. */
export interface ReplayParts {
  readonly jsm: JetStreamManager;
  readonly js: JetStreamClient;
  readonly stream: string;
  readonly subjectPrefix: string;
  /** The start of the replay consumers' names (stages/consumers.ts); each adds its task id. */
  readonly consumerPrefix: string;
  /** The live consumers (the sink's and the identity stage's): a replay waits until they have handled its window, so a live consumer and the replay never store one record each. */
  readonly liveConsumers: readonly string[];
  readonly ackWaitMs: number;
  readonly loop: ConsumerLoopOptions;
  /** The sink's path for the replay of a task (Sink.replayBatches), telling `written` of the rows each batch restored. */
  readonly batches: (taskId: string, written: (rows: readonly SinkRow[]) => void) => SinkBatches;
  /** Where a replay's own counts go (the accounting table, docs/accounting.md). */
  readonly writer: ClickHouseWriter;
  /** The identity stage's path for the replay of a task (IdentityStage.taskBatches): identify, alias and consent records go through it before the sink's. */
  readonly identity: (taskId: string) => { handle(batch: readonly StageMessage[], retrying: Retrying): Promise<void> };
  /** What a replay holds back (a suppressed or erased person's records; what the tracking plans block, unless `includeBlocked`). */
  readonly holds: (includeBlocked: boolean) => ReplayHolds;
  readonly logger: Logger;
}

/** The definition of a replay's consumer, starting after the messages done (its resume point), or where the window starts. */
function consumerDefinition(parts: ReplayParts, name: string, spec: ReplaySpec, progress: TaskProgress): Partial<ConsumerConfig> & { durable_name: string } {
  // Not after lastSeq: messages a stopped runner held come again after later ones, so the furthest done is no resume point.
  const resume = progress.resumeSeq ?? 0;
  const start =
    resume > 0
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: resume + 1 }
      : spec.fromTime !== undefined
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: spec.fromTime }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, spec.fromSeq ?? 1) };
  return {
    durable_name: name,
    ...start,
    filter_subject: replayFilterSubject(parts.subjectPrefix, spec),
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(parts.ackWaitMs),
    max_ack_pending: parts.loop.batchSize * 2,
    max_deliver: -1,
  };
}

/**
 * The accounting rows of what one batch of the replay `taskId` (its first
 * message at `seq`) restored, by source: counted in the minute they were
 * restored, each batch a row of its own (its origin a hash of the task and
 * the sequence, so two replays of one message stay two rows).
 */
function restoredRows(taskId: string, seq: number, bySource: ReadonlyMap<string, number>, nowMs: number): PendingRow[] {
  const origin = parseInt(createHash('sha256').update(`${taskId}:${seq}`).digest('hex').slice(0, 12), 16);
  const minute = Math.floor(nowMs / 60_000) * 60;
  return [...bySource].map(([source, n]) =>
    objectRow(seq, 'accounting', { source_id: source, minute, stage: 'replay', measure: 'restored', reason: '', origin, count: n }, `${taskId}:${source}:${seq}`),
  );
}

/** A message whose answers are left to another path: the identity stage's acks are not a replay's to give, the sink's path answers. */
const unanswered = (msg: StageMessage): StageMessage => ({ seq: msg.seq, subject: msg.subject, data: msg.data, info: msg.info, ack: () => undefined, nak: () => undefined, term: () => undefined });

/** How a replay's run ends: past its window (or nothing left), cancelled, or its lease lost. */
type Outcome = 'past' | 'cancelled' | 'lost';

/** The replay task's run. */
export function replayRun(parts: ReplayParts): TaskRun {
  return async (hold: TaskHold, signal: AbortSignal) => {
    const task = hold.task;
    const spec = task.replay;
    if (spec === undefined) throw new Error(`task ${task.id} is a ${task.kind}, not a replay`);
    const name = `${parts.consumerPrefix}${task.id}`;
    // A cancel stops the wait for the live sink too.
    const stopped = AbortSignal.any([signal, hold.cancelSignal]);
    let told = false;
    const waiting = (what: string) => {
      if (!told) parts.logger.info({ task: task.id }, what);
      told = true;
    };
    if (!hold.cancelled)
      await waitForConsumers(parts.jsm, parts.stream, parts.liveConsumers, spec.toSeq ?? 0, waiting, stopped).catch((error: unknown) => {
        if (!hold.cancelled) throw error;
      });
    let progress: TaskProgress = task.progress;
    // Whether a message past the window came, and the consumer's ack floor as last seen (the resume point).
    let pastSeen = false;
    let floor = task.progress.resumeSeq ?? 0;
    // Set by the batch handler as well as here: asserted to its whole type, so that what the handler sets is seen below.
    let outcome = (hold.cancelled ? 'cancelled' : undefined) as Outcome | undefined;
    if (outcome === undefined) {
      const exists = await parts.jsm.consumers.info(parts.stream, name).then(
        () => true,
        (error: unknown) => {
          if (error instanceof JetStreamApiError && error.status === 404) return false;
          throw error;
        },
      );
      if (!exists) await parts.jsm.consumers.add(parts.stream, consumerDefinition(parts, name, spec, progress));
      const consumer = await parts.js.consumers.get(parts.stream, name);
      // What each batch restored, by source, for the accounting: its own term, `restored` at stage `replay`.
      const restored = new Map<string, number>();
      const batches = parts.batches(task.id, (rows) => rows.forEach((row) => restored.set(row.sourceId, (restored.get(row.sourceId) ?? 0) + 1)));
      const accounts = parts.writer.scoped(`replay:${task.id}`);
      const identity = parts.identity(task.id);
      const holds = parts.holds(spec.includeBlocked === true);
      if (spec.includeBlocked === true) parts.logger.warn({ task: task.id }, 'this replay restores records the tracking plans block (include_blocked)');
      const handle: BatchHandler = async (batch, retrying) => {
        // Once the replay is over, or its lease may have lapsed, what comes is handed back untouched.
        if (outcome === undefined && !hold.holds()) outcome = 'lost';
        if (outcome !== undefined) return void batch.forEach((msg) => msg.nak(HAND_BACK_DELAY_MS));
        const inWindow = batch.filter((msg) => !pastWindow(spec, msg.seq, msg.time.getTime()));
        const envelopes = inWindow.map(envelopeOf);
        // A message that does not decode is never chosen by name, and is held whatever chose it.
        const chosen = inWindow.map((msg, i) => selected(spec, parts.subjectPrefix, msg.subject, () => envelopes[i] ?? UNREADABLE));
        const held = await retrying('replay holds', () => holds.held(envelopes.map((envelope, i) => (chosen[i] ? envelope : undefined))));
        const through = inWindow.filter((_, i) => chosen[i] && !held.has(i));
        const before = batches.stats.rowsWritten;
        // Links and consent decisions first, as their own consumers would take them; the sink's path answers every message.
        const linking = through.filter((msg) => (IDENTITY_CALLS as readonly string[]).includes(subjectParts(parts.subjectPrefix, msg.subject)?.call ?? ''));
        if (linking.length > 0) await identity.handle(linking.map(unanswered), retrying);
        restored.clear();
        if (through.length > 0) await batches.handle(through, retrying);
        if (restored.size > 0) await retrying('replay accounting', () => accounts.writeAll(restoredRows(task.id, through[0].seq, restored, Date.now())));
        const sent = new Set(through);
        for (const msg of batch) if (!sent.has(msg)) msg.ack();
        // A message past the window came: the replay ends once nothing within it is outstanding (below).
        if (inWindow.length < batch.length) pastSeen = true;
        const last = inWindow.at(-1);
        if (last === undefined) return;
        const stored = batches.stats.rowsWritten - before;
        // The furthest message done: messages a stopped runner held come again after later ones (once their ack wait ends), and do not move it back.
        const further = last.seq > progress.lastSeq;
        progress = {
          read: progress.read + inWindow.length,
          stored: progress.stored + stored,
          skipped: progress.skipped + inWindow.length - stored,
          lastSeq: further ? last.seq : progress.lastSeq,
          lastTime: further ? last.time.toISOString() : progress.lastTime,
          resumeSeq: floor,
        };
        try {
          await hold.renew(progress);
        } catch (error) {
          if (!(error instanceof TaskLost)) throw error;
          outcome = 'lost';
          return;
        }
        if (hold.cancelled) outcome ??= 'cancelled';
      };
      const loop = new ConsumerLoop(`replay ${task.id}`, consumer, handle, parts.loop, parts.logger);
      loop.start();
      try {
        while (outcome === undefined && !signal.aborted) {
          await sleep(DONE_CHECK_MS, stopped).catch(() => undefined);
          // A cancel reaches the hold with its lease's renewal, even while no batch comes.
          if (hold.cancelled) outcome ??= 'cancelled';
          if (outcome !== undefined || signal.aborted) break;
          const info = await parts.jsm.consumers.info(parts.stream, name);
          floor = Math.max(floor, info.ack_floor.stream_seq);
          // Done when nothing is left to deliver and nothing is in hand, or when a message past the window came and every message up to
          // the window's end is acked: not before, as messages a stopped runner held come again only once their ack wait ends.
          if ((info.num_pending === 0 && info.num_ack_pending === 0) || (pastSeen && info.ack_floor.stream_seq >= (spec.toSeq ?? Infinity))) outcome ??= 'past';
        }
      } finally {
        await loop.stop();
      }
    }
    if (signal.aborted) throw signal.reason;
    if (outcome === 'lost') throw new TaskLost(`task ${task.id} is no longer held by this process`);
    // The end first: should its write fail, the consumer is still there for the next run to go on from.
    const ended = await hold.end(outcome === 'cancelled' ? 'CANCELLED' : 'FINISHED', progress);
    // Only the runner that ended the task deletes its consumer: one that lost it leaves the consumer to the new runner.
    if (ended) await parts.jsm.consumers.delete(parts.stream, name).catch(() => undefined);
    parts.logger.info({ task: task.id, outcome, ended, ...progress }, 'replay ended');
  };
}

/**
 * Deletes the replay consumers (named `prefix` and a task id) of `stream`
 * whose task is no longer running: those of a task cancelled while no
 * process held it, or failed, or of a run cut off before it could delete
 * its own. A consumer left behind would keep the stream from making room.
 */
export async function removeEndedReplayConsumers(jsm: JetStreamManager, stream: string, prefix: string, running: (taskId: string) => Promise<boolean>): Promise<void> {
  for await (const info of jsm.consumers.list(stream)) {
    // Only an idle consumer: nothing in hand and no pull waiting, so no runner that still thinks it holds the task is using it.
    if (!info.name.startsWith(prefix) || info.num_ack_pending > 0 || info.num_waiting > 0) continue;
    if (!(await running(info.name.slice(prefix.length)))) await jsm.consumers.delete(stream, info.name).catch(() => undefined);
  }
}
