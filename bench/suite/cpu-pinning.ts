/**
 * The CPUs a scenario that weighs one fresh gateway's CPU per record against
 * another's (S9, S10, S12) pins its processes to: the gateway on the last CPU
 * this benchmark may use, the load generator and nats-server kept off it, on
 * the others. Unpinned, the three share two CPUs as the scheduler pleases,
 * and a gateway made to share its CPU spends more CPU per record, in some
 * runs much more (bench/README.md gives the figures). Linux's `taskset`
 * (util-linux) pins; where it is missing, or there is one CPU, nothing is.
 */
import { execFileSync } from 'node:child_process';

/** CPU lists as taskset takes them ("1", "0,2-3"). */
export interface CpuSets {
  /** The measured gateway's: one CPU. */
  readonly gateway: string;
  /** Everything else's: the load generator and nats-server. */
  readonly rest: string;
  /** Every CPU this benchmark may use, to give nats-server back once a scenario ends. */
  readonly all: string;
}

/** The CPU ids of a taskset list ("0-2,4" is 0, 1, 2 and 4). */
function idsOf(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [from, to = from] = part.split('-').map(Number);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

/** The sets for this process's CPUs; undefined where there is but one, and nothing can be kept apart, or no taskset. */
export function cpuSets(): CpuSets | undefined {
  let list: string;
  try {
    // "pid 123's current affinity list: 0,1"
    list =
      execFileSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split(':')
        .pop()
        ?.trim() ?? '';
  } catch {
    return undefined;
  }
  const ids = idsOf(list);
  if (ids.length < 2) return undefined;
  return { gateway: String(ids[ids.length - 1]), rest: ids.slice(0, -1).join(','), all: ids.join(',') };
}

/** The command and arguments that run `command args` on `cpus`; as given when `cpus` is undefined. */
export const onCpus = (cpus: string | undefined, command: string, args: readonly string[]): [string, string[]] =>
  cpus === undefined ? [command, [...args]] : ['taskset', ['-c', cpus, command, ...args]];

/** Moves every thread of the running process `pid` onto `cpus`. */
export function pinProcess(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-c', '-p', cpus, String(pid)], { stdio: 'ignore' });
}
