/**
 * A replay: the stream's messages in a window, on a durable consumer of the
 * task's own (the live consumers are left alone), once the sink's consumer
 * has stored the window, through the sink's path
 * (src/sink/sink-batches.ts), whose redelivery check leaves out the rows
 * stored already, so a replay over existing rows adds none. Messages outside
 * the filters, and those of a person the policy ledger suppresses, are
 * acked and counted as skipped. Progress is written with each batch; a
 * replay cut short goes on where its consumer was, in whichever process
 * claims its task next. It ends at the first message past its window, or
 * when its consumer has nothing left; its consumer is deleted at the end.
 */
import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import { Envelope } from '../gen/tributary/ingest/v1/envelope';
import { sleep } from '../lifecycle/backoff';
import type { PolicyLedger } from '../policy/policy-ledger';
import { personIds } from '../policy/person-ids';
import type { SinkBatches } from '../sink/sink-batches';
import { waitForConsumers } from '../stream/stream-erasure';
import { ConsumerLoop, type BatchHandler, type ConsumerLoopOptions } from '../stages/consumer-loop';
import { pastWindow, replayFilterSubject, selected } from './replay-filter';
import { TaskLost, type TaskHold, type TaskRun } from './task-stage';
import type { ReplaySpec, TaskProgress } from '../tasks/task-store';

/** How often a replay looks whether its consumer has anything left. */
const DONE_CHECK_MS = 1000;

/** What replays need. */
export interface ReplayParts {
  readonly jsm: JetStreamManager;
  readonly js: JetStreamClient;
  readonly stream: string;
  readonly subjectPrefix: string;
  /** The prefix of the replay consumers' names; each adds its task id. */
  readonly consumerPrefix: string;
  /** The live consumer that stores records (the sink's): a replay waits until it has stored its window, so the two never store one record each. */
  readonly liveConsumer: string;
  readonly ackWaitMs: number;
  readonly loop: ConsumerLoopOptions;
  /** A sink path of the replay's own (its own redelivery check and counts), its insert tokens scoped by `tokenScope`. */
  readonly batches: (tokenScope: string) => SinkBatches;
  /** The ledger of suppressed persons, whose records a replay never restores. */
  readonly ledger: PolicyLedger;
  readonly logger: Logger;
}

/** The name of the consumer of the replay task `id`. */
export const replayConsumerName = (prefix: string, id: string): string => `${prefix}-replay-${id}`;

/** The definition of a replay's consumer, starting where the window starts. */
function consumerDefinition(parts: ReplayParts, name: string, spec: ReplaySpec): Partial<ConsumerConfig> & { durable_name: string } {
  const start =
    spec.fromTime !== undefined
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

/** Whether a record was sent by a person the ledger suppresses for its source. */
function suppressed(ledger: PolicyLedger, envelope: Envelope): boolean {
  if (ledger.suppressedCount === 0 || envelope.record === undefined) return false;
  return ledger.suppresses(
    envelope.sourceId,
    personIds(envelope.record).map((id) => ledger.hasher.binary(id)),
  );
}

/** The replay task's run. */
export function replayRun(parts: ReplayParts): TaskRun {
  return async (hold: TaskHold, signal: AbortSignal) => {
    const task = hold.task;
    const spec = task.replay;
    const name = replayConsumerName(parts.consumerPrefix, task.id);
    let told = false;
    const waiting = (what: string) => {
      if (!told) parts.logger.info({ task: task.id }, what);
      told = true;
    };
    await waitForConsumers(parts.jsm, parts.stream, [parts.liveConsumer], spec.toSeq ?? 0, waiting, signal);
    const exists = await parts.jsm.consumers.info(parts.stream, name).then(
      () => true,
      () => false,
    );
    if (!exists) await parts.jsm.consumers.add(parts.stream, consumerDefinition(parts, name, spec));
    const consumer = await parts.js.consumers.get(parts.stream, name);
    // Tokens of the task's own: a batch cut as the live sink once cut it, of rows since deleted, is not a duplicate of that insert.
    const batches = parts.batches(`replay:${task.id}`);
    let progress: TaskProgress = task.progress;
    let outcome: 'past' | 'cancelled' | 'lost' | undefined;
    const handle: BatchHandler = async (batch, retrying) => {
      // Once the replay is over, or its lease may have lapsed, what comes is handed back untouched.
      if (outcome === undefined && !hold.holds()) outcome = 'lost';
      if (outcome !== undefined) return void batch.forEach((msg) => msg.nak());
      const through: JsMsg[] = [];
      const skipped: JsMsg[] = [];
      let last: JsMsg | undefined;
      for (const msg of batch) {
        if (pastWindow(spec, msg.seq, msg.time.getTime())) {
          outcome = 'past';
          msg.ack();
          continue;
        }
        last = msg;
        let envelope: Envelope | undefined;
        const read = () => (envelope ??= Envelope.decode(msg.data));
        let pass = false;
        try {
          pass = selected(spec, parts.subjectPrefix, msg.subject, read) && !suppressed(parts.ledger, read());
        } catch {
          // An envelope that does not decode goes through: the sink's path makes it a dead letter with its reason.
          pass = true;
        }
        (pass ? through : skipped).push(msg);
      }
      const before = batches.stats.rowsWritten;
      if (through.length > 0) await batches.handle(through, retrying);
      for (const msg of skipped) msg.ack();
      if (last === undefined) return;
      const read = through.length + skipped.length;
      const stored = batches.stats.rowsWritten - before;
      progress = {
        read: progress.read + read,
        stored: progress.stored + stored,
        skipped: progress.skipped + read - stored,
        lastSeq: last.seq,
        lastTime: last.time.toISOString(),
      };
      try {
        await hold.renew(progress);
      } catch (error) {
        if (!(error instanceof TaskLost)) throw error;
        outcome = 'lost';
        return;
      }
      if (hold.cancelled) outcome = 'cancelled';
    };
    const loop = new ConsumerLoop(`replay ${task.id}`, consumer, handle, parts.loop, parts.logger);
    loop.start();
    try {
      while (outcome === undefined && !signal.aborted) {
        await sleep(DONE_CHECK_MS, signal).catch(() => undefined);
        // A cancel reaches the hold with its lease's renewal, even while no batch comes.
        if (hold.cancelled) outcome ??= 'cancelled';
        if (outcome !== undefined || signal.aborted) break;
        const info = await parts.jsm.consumers.info(parts.stream, name);
        if (info.num_pending === 0 && info.num_ack_pending === 0) outcome ??= 'past';
      }
    } finally {
      await loop.stop();
    }
    if (signal.aborted) throw signal.reason;
    if (outcome === 'lost') throw new TaskLost(`task ${task.id} is no longer held by this process`);
    await parts.jsm.consumers.delete(parts.stream, name).catch(() => undefined);
    const ended = await hold.end(outcome === 'cancelled' ? 'CANCELLED' : 'FINISHED', progress);
    parts.logger.info({ task: task.id, outcome, ended, ...progress }, 'replay ended');
  };
}
