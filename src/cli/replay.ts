/**
 * `tributary replay` and `tributary tasks`: replays through a gateway's
 * AdminService with the admin key (docs/operations.md, "Replay"). `replay`
 * starts one and follows it to its end, with a progress bar on a terminal
 * (records read, stored, skipped, the last sequence and its time), as
 * `tributary deadletters redrive` follows a redrive (deadletters.ts);
 * `tasks list`, `tasks show` and `tasks cancel` look at tasks and stop one.
 */
import ms from 'ms';
import { Task, TaskStatus, TaskType, type StartReplayRequest } from '../gen/tributary/admin/v1/admin_service';
import { followToEnd, openAdmin, type AdminChannel, type AdminConnection } from './admin-channel';

/** The progress bar's width in characters. */
const BAR_WIDTH = 30;

/** A replay's window and filters, as the flags give them. */
export interface ReplayFlags {
  readonly from: string;
  readonly to?: string;
  readonly source: string[];
  readonly call: string[];
  readonly name: string[];
  /** Replay what the current tracking plans would block, too. */
  readonly includeBlocked?: boolean;
}

/** A time from a flag: a time (RFC 3339), or a duration ago ("30m", "2d") counted back from `nowMs`; throws naming `flag` (and saying it takes a stream sequence too, when `sequences`). */
export function pointInTime(raw: string, nowMs: number, flag: string, sequences = false): Date {
  const text = raw.trim();
  const ago = /^\d/.test(text) ? ms(text as ms.StringValue) : undefined;
  if (typeof ago === 'number' && Number.isFinite(ago)) return new Date(nowMs - ago);
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new Error(`${flag} must be ${sequences ? 'a stream sequence, ' : ''}a time such as 2026-12-04T10:00:00Z, or a duration ago such as 2h or 7d; it is "${raw}"`);
  return new Date(at);
}

/** A window bound from a flag: a stream sequence (digits), or a point in time. */
function bound(raw: string, nowMs: number, flag: string): { sequence: number } | { time: Date } {
  if (/^\d+$/.test(raw.trim())) return { sequence: Number(raw.trim()) };
  return { time: pointInTime(raw, nowMs, flag, true) };
}

/** The StartReplay request of `flags`, durations counted back from `nowMs`; throws naming the flag that does not parse. */
export function replayRequest(flags: ReplayFlags, nowMs: number): StartReplayRequest {
  const from = bound(flags.from, nowMs, '--from');
  const to = flags.to === undefined ? undefined : bound(flags.to, nowMs, '--to');
  return {
    from: 'sequence' in from ? { $case: 'fromSequence', value: from.sequence } : { $case: 'fromTime', value: from.time },
    to: to === undefined ? undefined : 'sequence' in to ? { $case: 'toSequence', value: to.sequence } : { $case: 'toTime', value: to.time },
    sourceIds: flags.source,
    calls: flags.call,
    names: flags.name,
    includeBlocked: flags.includeBlocked === true,
  };
}

/** What a redrive selects, in words. */
function redriveWords(task: Task): string {
  const r = task.redrive;
  const parts = [
    r?.reasons.length ? `reasons ${r.reasons.join(',')}` : 'every reason',
    ...(r?.sourceIds.length ? [`sources ${r.sourceIds.join(',')}`] : []),
    ...(r?.fromTime !== undefined ? [`set aside from ${r.fromTime.toISOString()}`] : []),
    ...(r?.toTime !== undefined ? [`to ${r.toTime.toISOString()}`] : []),
    `${r?.rate ?? 0}/s`,
  ];
  return parts.join('; ');
}

/** A task's counts: a replay's records read, stored and skipped; a redrive's letters read, redriven and failed again or held. */
function counts(task: Task): string {
  const p = task.progress;
  return task.type === TaskType.REDRIVE
    ? `read ${p?.read ?? 0}, redriven ${p?.stored ?? 0}, failed again or held ${p?.skipped ?? 0}`
    : `read ${p?.read ?? 0}, stored ${p?.stored ?? 0}, skipped ${p?.skipped ?? 0}`;
}

/** One line (or, with `json`, one JSON object) of a task. */
export function describeTask(task: Task, json: boolean): string {
  if (json) return JSON.stringify(Task.toJSON(task));
  const error = task.status === TaskStatus.FAILED ? `  error: ${task.error}` : task.cancelRequested && task.status === TaskStatus.RUNNING ? '  (cancel asked)' : '';
  if (task.type === TaskType.REDRIVE) return `${task.id}  REDRIVE  ${TaskStatus[task.status]}  ${redriveWords(task)}  ${counts(task)}${error}`;
  const window = task.replay;
  const from = window?.fromTime !== undefined ? window.fromTime.toISOString() : `#${window?.fromSequence ?? 0}`;
  const to = `#${window?.toSequence ?? 0}${window?.toTime !== undefined ? ` or ${window.toTime.toISOString()}` : ''}`;
  const filters = [
    ...(window?.sourceIds.length ? [`sources ${window.sourceIds.join(',')}`] : []),
    ...(window?.calls.length ? [`calls ${window.calls.join(',')}`] : []),
    ...(window?.names.length ? [`names ${window.names.join(',')}`] : []),
  ];
  return `${task.id}  ${TaskType[task.type]}  ${TaskStatus[task.status]}  ${from} to ${to}${filters.length > 0 ? `  ${filters.join('; ')}` : ''}  ${counts(task)}${error}`;
}

/**
 * The progress line of a running replay: a bar of how far its last
 * sequence has got through its window (from its first sequence, or from
 * the first one it was seen at when it starts at a time), then its counts.
 */
export function progressLine(task: Task, firstSeen: number): string {
  const p = task.progress;
  const last = p?.lastSequence ?? 0;
  // A redrive does not know how many letters it will find: its counts alone.
  if (task.type === TaskType.REDRIVE) return `${counts(task)}, last #${last}`;
  const to = task.replay?.toSequence ?? 0;
  const from = task.replay?.fromSequence || firstSeen;
  const share = to <= from ? (last > 0 ? 1 : 0) : Math.min(1, Math.max(0, (last - from + 1) / (to - from + 1)));
  const filled = Math.round(share * BAR_WIDTH);
  const at = p?.lastTime === undefined ? '' : ` (${p.lastTime.toISOString()})`;
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.floor(share * 100)}%  ${counts(task)}, last #${last}${at}`;
}

/** Starts a replay and follows it to its end; returns the exit code (0 when it finished, 1 otherwise). */
export function startReplay(flags: ReplayFlags, connection: AdminConnection): Promise<number> {
  const request = replayRequest(flags, Date.now());
  return followTask('replay', connection, (admin) => admin.call((metadata, callback) => admin.client.startReplay(request, metadata, callback)));
}

/**
 * Starts a task (`what`: replay, redrive) with `start` and follows it to
 * its end, with its progress line on a terminal; prints it as it ended and
 * returns the exit code (0 when it finished, 1 otherwise).
 */
export async function followTask(what: string, connection: AdminConnection, start: (admin: AdminChannel) => Promise<{ task?: Task }>): Promise<number> {
  const admin = openAdmin(connection);
  const terminal = process.stderr.isTTY === true && !connection.json;
  try {
    const answered = (task: Task | undefined): Task => {
      if (task === undefined) throw new Error('the gateway answered without a task');
      return task;
    };
    const started = answered((await start(admin)).task);
    if (!connection.json) console.error(`${what} ${started.id} started; \`tributary tasks cancel ${started.id}\` stops it`);
    let firstSeen = 0;
    const task = await followToEnd(
      started,
      (t) => t.status === TaskStatus.RUNNING,
      async (t) => answered((await admin.call<{ task?: Task }>((metadata, callback) => admin.client.getTask({ id: t.id }, metadata, callback))).task),
      (t) => {
        firstSeen ||= t.progress?.lastSequence ?? 0;
        if (terminal) process.stderr.write(`\r${progressLine(t, firstSeen)}`);
      },
    );
    if (terminal) process.stderr.write(`\r${progressLine(task, firstSeen)}\n`);
    console.log(describeTask(task, connection.json));
    return task.status === TaskStatus.FINISHED ? 0 : 1;
  } finally {
    admin.close();
  }
}

/** Prints every task, or the one `id` names. */
export async function showTasks(id: string | undefined, connection: AdminConnection): Promise<void> {
  const admin = openAdmin(connection);
  try {
    const tasks =
      id === undefined
        ? (await admin.call<{ tasks: Task[] }>((metadata, callback) => admin.client.listTasks({}, metadata, callback))).tasks
        : [(await admin.call<{ task?: Task }>((metadata, callback) => admin.client.getTask({ id }, metadata, callback))).task];
    for (const task of tasks) if (task !== undefined) console.log(describeTask(task, connection.json));
  } finally {
    admin.close();
  }
}

/** Cancels the task `id` and prints it as it is then. */
export async function cancelTask(id: string, connection: AdminConnection): Promise<void> {
  const admin = openAdmin(connection);
  try {
    const { task } = await admin.call<{ task?: Task }>((metadata, callback) => admin.client.cancelTask({ id }, metadata, callback));
    if (task !== undefined) console.log(describeTask(task, connection.json));
  } finally {
    admin.close();
  }
}
