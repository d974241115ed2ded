/**
 * A redrive: the dead letters a task selects (by reason, source and when
 * they were set aside) that no redrive has sent through yet, read from
 * dead_letters in the order of their records' stream sequences and sent,
 * at the task's rate, through the stage that set them aside: refused
 * identity links through the identity stage's path, everything else through
 * the sink's (each path the task's own, with its own insert tokens). A
 * letter that goes through is written again marked with the task
 * (redriven_by), so no redrive sends it again; one that fails again is set
 * aside by its stage as a new dead letter of the task, with its new reason,
 * and the task goes on past it: it is never tried twice in one task. Only
 * letters a redrive can mend are read (REDRIVABLE_REASONS: not messages
 * that are not records). What a replay holds back (a suppressed or erased
 * person's records, what the source's plan blocks) is skipped and left a
 * dead letter. Progress, written with
 * each page, is the last letter's stream sequence, so a redrive cut short
 * goes on after it.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { envelopeOf } from '../stages/envelope-of';
import { sleep } from '../lifecycle/backoff';
import type { Retrying } from '../stages/consumer-loop';
import type { DeadLetter, StageMessage } from '../stages/dead-letters';
import { selectRows } from '../storage/clickhouse-client';
import { objectRow, type ClickHouseWriter } from '../storage/clickhouse-writer';
import { toDateTime64 } from '../storage/datetime';
import type { RedriveSpec, TaskProgress } from '../tasks/task-store';
import { REDRIVABLE_REASONS } from '../stream/dead-letter-stream';
import { letterMessage, type LetterRow } from './letter-message';
import type { ReplayHolds } from './replay-holds';
import { TaskLost, type TaskHold, type TaskRun } from './task-stage';

/** Most dead letters read and sent through at once. */
const PAGE = 500;

/** A stage's path for one redrive: what its batch handler does with the letters' messages, a failure again told to `failed`. */
export type RedrivePath = (taskId: string, failed: (letters: readonly DeadLetter[]) => void) => { handle(batch: readonly StageMessage[], retrying: Retrying): Promise<void> };

/** What redrives need. */
export interface RedriveParts {
  readonly client: ClickHouseClient;
  readonly database: string;
  /** Where the marks go (scoped by the task for its inserts' tokens). */
  readonly writer: ClickHouseWriter;
  /** The sink's path (Sink.redriveBatches). */
  readonly sink: RedrivePath;
  /** The identity stage's path (IdentityStage.taskBatches). */
  readonly identity: RedrivePath;
  /** What a redrive holds back, as a replay does (what the tracking plans block included). */
  readonly holds: (includeBlocked: boolean) => ReplayHolds;
  readonly logger: Logger;
}

/** The SELECT of the next page of the letters `spec` selects after a stream sequence, and its parameters. */
export function letterPage(database: string, taskId: string, spec: RedriveSpec, after: number, limit: number): { query: string; params: { [name: string]: unknown } } {
  // Not redriven yet, of a reason a redrive can mend, and not failed again in this task already (a retried attempt starts before its last page).
  const where = ["redriven_by = ''", 'reason IN {redrivable:Array(String)}', 'last_redrive != {task:String}', 'stream_seq > {after:UInt64}'];
  const params: { [name: string]: unknown } = { redrivable: REDRIVABLE_REASONS, task: taskId, after, limit };
  const when = (condition: string, name: string, value: unknown) => {
    where.push(condition);
    params[name] = value;
  };
  if (spec.reasons.length > 0) when('reason IN {reasons:Array(String)}', 'reasons', spec.reasons);
  if (spec.sources.length > 0) when('source_id IN {sources:Array(String)}', 'sources', spec.sources);
  if (spec.fromTime !== undefined) when("failed_at >= {from:DateTime64(3, 'UTC')}", 'from', toDateTime64(new Date(spec.fromTime)));
  if (spec.toTime !== undefined) when("failed_at <= {to:DateTime64(3, 'UTC')}", 'to', toDateTime64(new Date(spec.toTime)));
  return {
    query: `SELECT source_id, stream_seq, subject, reason, error, deliveries, payload_base64, failed_at, last_redrive
      FROM ${database}.dead_letters FINAL WHERE ${where.join(' AND ')} ORDER BY stream_seq LIMIT {limit:UInt32}`,
    params,
  };
}

/** The stage that sets aside dead letters of `reason`: refused links are the identity stage's, the rest the sink's. */
const stageOf = (reason: string): 'identity' | 'sink' => (reason === 'IDENTITY_LINK_REFUSED' ? 'identity' : 'sink');

/** A redrive runs each step once: a failure fails the attempt, and the task stage tries again from the progress written. */
const once: Retrying = (_what, work) => work();

/** The redrive task's run. */
export function redriveRun(parts: RedriveParts): TaskRun {
  return async (hold: TaskHold, signal: AbortSignal) => {
    const task = hold.task;
    const spec = task.redrive;
    if (spec === undefined) throw new Error(`task ${task.id} is a ${task.kind}, not a redrive`);
    const failed = new Set<number>();
    const note = (letters: readonly DeadLetter[]) => letters.forEach((letter) => failed.add(letter.seq));
    const paths = { sink: parts.sink(task.id, note), identity: parts.identity(task.id, note) };
    // Tokens of their own: a mark of the same letters as a failure written again by the task's stage path must not be taken for its duplicate.
    const marks = parts.writer.scoped(`redrive-mark:${task.id}`);
    const stopped = AbortSignal.any([signal, hold.cancelSignal]);
    const holds = parts.holds(false);
    let progress: TaskProgress = task.progress;
    const started = performance.now();
    let sent = 0;
    while (!hold.cancelled) {
      if (signal.aborted) throw signal.reason;
      if (!hold.holds()) throw new TaskLost(`task ${task.id} is no longer held by this process`);
      const page = letterPage(parts.database, task.id, spec, progress.lastSeq, Math.min(PAGE, spec.rate));
      const rows = await selectRows<LetterRow>(parts.client, page.query, page.params);
      if (rows.length === 0) break;
      const messages = rows.map(letterMessage);
      const held = await holds.held(messages.map(envelopeOf));
      const through = messages.filter((_, i) => !held.has(i));
      failed.clear();
      // Before each write, the lease must still hold: an erasure waits only for redrives a process holds, and erases after their page.
      const holding = () => {
        if (!hold.holds()) throw new TaskLost(`task ${task.id} is no longer held by this process`);
      };
      for (const stage of ['identity', 'sink'] as const) {
        const batch = through.filter((msg) => stageOf(msg.row.reason) === stage);
        holding();
        if (batch.length > 0) await paths[stage].handle(batch, once);
      }
      holding();
      const redriven = through.filter((msg) => msg.answer === 'ack' && !failed.has(msg.seq));
      const at = toDateTime64(new Date());
      await marks.writeAll(redriven.map((msg) => objectRow(msg.seq, 'dead_letters', { ...msg.row, stream_seq: msg.seq, redriven_by: task.id, redriven_at: at })));
      const last = rows[rows.length - 1];
      progress = {
        read: progress.read + rows.length,
        stored: progress.stored + redriven.length,
        skipped: progress.skipped + rows.length - redriven.length,
        lastSeq: Number(last.stream_seq),
        lastTime: `${last.failed_at.replace(' ', 'T')}Z`,
      };
      await hold.renew(progress);
      sent += rows.length;
      // At most `rate` letters a second, over the run.
      const wait = started + (sent / spec.rate) * 1000 - performance.now();
      if (wait > 0) await sleep(wait, stopped).catch(() => undefined);
    }
    if (signal.aborted) throw signal.reason;
    const ended = await hold.end(hold.cancelled ? 'CANCELLED' : 'FINISHED', progress);
    parts.logger.info({ task: task.id, ended, ...progress }, 'redrive ended');
  };
}
