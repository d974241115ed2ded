/**
 * S13: a replay of a window of the stream over stored rows, through the
 * sink process's task stage, asked for on the gateway's AdminService as an
 * operator would, and what it costs live traffic: S3's open-loop load with
 * the sink running, first alone (the control), then while the replay runs.
 * The replay runs once alone, for its rate (records read from its start to
 * its end) and the sink's CPU per record replayed, then again beside the
 * live load, for the live p99 with and without it.
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
  /** Runs S3's load (the open loop) under the run name given; resolves with its p99. */
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
  /** The live load's p99 without a replay, and with one under way; that replay's rate. */
  readonly liveP99Ms: number;
  readonly liveP99WithReplayMs: number;
  readonly recordsPerSecondBesideLive: number;
}

const ADMIN = '/tributary.admin.v1.AdminService/';

/** Starts a replay of sequences 1 to `records`; resolves once it has ended, with its task, its seconds and the sink's CPU seconds over it. */
async function replay(s: ReplayScenario): Promise<{ read: number; stored: number; seconds: number; cpu: number }> {
  const meter = cpuMeter({ sink: s.sinkPid });
  const started = performance.now();
  const asked = await connectCall(s.gatewayUrl, `${ADMIN}StartReplay`, s.adminKey, { fromSequence: 1, toSequence: s.records });
  if (asked.status !== 200) throw new Error(`StartReplay answered ${asked.status}: ${JSON.stringify(asked.body)}`);
  const id = (asked.body.task as { id: string }).id;
  return waitFor(
    'the replay to end',
    async () => {
      const { body } = await connectCall(s.gatewayUrl, `${ADMIN}GetTask`, s.adminKey, { id });
      const task = body.task as { status: string; progress?: { read?: string; stored?: string } };
      if (task.status === 'TASK_STATUS_RUNNING') return undefined;
      if (task.status !== 'TASK_STATUS_FINISHED') throw new Error(`the replay ended ${task.status}`);
      return { read: Number(task.progress?.read ?? 0), stored: Number(task.progress?.stored ?? 0), seconds: (performance.now() - started) / 1000, cpu: meter.done().sink };
    },
    600_000,
    100,
  );
}

/** Runs S13: the replay alone, the live load alone, then both at once. */
export async function measureReplay(s: ReplayScenario): Promise<ReplayFigures> {
  const alone = await replay(s);
  const control = await s.live('s13control');
  await s.caughtUp();
  const [beside, withReplay] = await Promise.all([replay(s), s.live('s13replay')]);
  await s.caughtUp();
  return {
    records: alone.read,
    seconds: Math.round(alone.seconds * 10) / 10,
    recordsPerSecond: Math.round(alone.read / alone.seconds),
    stored: alone.stored,
    sinkCpuPerMillion: Math.round((alone.cpu / alone.read) * 1_000_000 * 10) / 10,
    liveP99Ms: control.p99,
    liveP99WithReplayMs: withReplay.p99,
    recordsPerSecondBesideLive: Math.round(beside.read / beside.seconds),
  };
}
