/**
 * S13: a replay of a window of the stream over stored rows, through the
 * sink process's task stage, asked for on the gateway's AdminService as an
 * operator would, and what it costs live traffic: an open-loop load (as
 * S3's, at half of S2's end-to-end rate) with the sink running, first alone (the control), then while the replay runs.
 * The replay runs once alone, for its rate (records read from its start to
 * its end) and the sink's CPU per record replayed; then the live load
 * alone (the control), and again once a second replay has begun, for the
 * live p99 with and without a replay, and how long the two overlapped.
 */
import { connectCall } from '../../test/helpers/privacy-calls';
import { waitFor } from '../../test/helpers/wait';
import { cpuMeter } from './process-stats';

/** What S13 needs of the bench. */
export interface ReplayScenario {
  /** The gateway's HTTP endpoint, and the admin key. */
  readonly gatewayUrl: string;
  readonly adminKey: string;
  readonly sinkPid: number;
  /** Records replayed: sequences 1 to this. */
  readonly records: number;
  /** The live load's rate, records a second. */
  readonly liveRate: number;
  /** Runs the live load (the open loop) under the run name given; resolves with its p99. */
  readonly live: (run: string) => Promise<{ p99: number; recordsPerSecond: number }>;
  /** Waits until the sink has stored what the live load sent. */
  readonly caughtUp: () => Promise<void>;
}

/** S13's figures. */
export interface ReplayFigures {
  /** The replay alone: records read, seconds, rate, rows stored, and the sink's CPU per record read. */
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly stored: number;
  readonly sinkCpuPerMillion: number;
  /** The live load's rate; its p99 without a replay, and with one under way; that replay's rate. */
  readonly liveRate: number;
  readonly liveP99Ms: number;
  readonly liveP99WithReplayMs: number;
  readonly recordsPerSecondBesideLive: number;
  /** Seconds of the live load the second replay overlapped (at most the load's own, S3's 15 s). */
  readonly overlapSeconds: number;
}

const ADMIN = '/tributary.admin.v1.AdminService/';

/** A replay under way: resolves once it has read something, and once it has ended (with its counts, seconds and the sink's CPU seconds). */
interface RunningReplay {
  readonly begun: Promise<void>;
  readonly ended: Promise<{ read: number; stored: number; seconds: number; cpu: number }>;
}

/** Starts a replay of sequences 1 to `records`. */
async function replay(s: ReplayScenario): Promise<RunningReplay> {
  const meter = cpuMeter({ sink: s.sinkPid });
  const started = performance.now();
  const asked = await connectCall(s.gatewayUrl, `${ADMIN}StartReplay`, s.adminKey, { fromSequence: 1, toSequence: s.records });
  if (asked.status !== 200) throw new Error(`StartReplay answered ${asked.status}: ${JSON.stringify(asked.body)}`);
  const id = (asked.body.task as { id: string }).id;
  const state = async () => (await connectCall(s.gatewayUrl, `${ADMIN}GetTask`, s.adminKey, { id })).body.task as { status: string; progress?: { read?: string; stored?: string } };
  const begun = waitFor('the replay to read', async () => (Number((await state()).progress?.read ?? 0) > 0 ? true : undefined), 600_000, 20).then(() => undefined);
  const ended = (async () => {
    const task = await waitFor(
      'the replay to end',
      async () => {
        const now = await state();
        return now.status === 'TASK_STATUS_RUNNING' ? undefined : now;
      },
      600_000,
      100,
    );
    // Thrown here, not in the check: waitFor would take it for a look that failed, and look again until its deadline.
    if (task.status !== 'TASK_STATUS_FINISHED') throw new Error(`the replay ended ${task.status}`);
    return { read: Number(task.progress?.read ?? 0), stored: Number(task.progress?.stored ?? 0), seconds: (performance.now() - started) / 1000, cpu: meter.done().sink };
  })();
  return { begun, ended };
}

/** Runs S13: the replay alone, the live load alone, then the live load started once a second replay has begun. */
export async function measureReplay(s: ReplayScenario): Promise<ReplayFigures> {
  const alone = await (await replay(s)).ended;
  const control = await s.live('s13control');
  await s.caughtUp();
  const second = await replay(s);
  await second.begun;
  const liveStarted = performance.now();
  const [beside, withReplay] = await Promise.all([second.ended, s.live('s13replay')]);
  const liveSeconds = (performance.now() - liveStarted) / 1000;
  await s.caughtUp();
  return {
    records: alone.read,
    seconds: Math.round(alone.seconds * 10) / 10,
    recordsPerSecond: Math.round(alone.read / alone.seconds),
    stored: alone.stored,
    sinkCpuPerMillion: Math.round((alone.cpu / alone.read) * 1_000_000 * 10) / 10,
    liveRate: s.liveRate,
    liveP99Ms: control.p99,
    liveP99WithReplayMs: withReplay.p99,
    recordsPerSecondBesideLive: Math.round(beside.read / beside.seconds),
    overlapSeconds: Math.round(Math.min(beside.seconds, liveSeconds) * 10) / 10,
  };
}
