/**
 * What a process used, read from /proc: CPU seconds (user + system) and
 * peak resident memory (VmHWM). Linux only, as the benchmark machines are.
 */
import { readFileSync } from 'node:fs';

/** CPU seconds a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat; here 0-based after the command: 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak resident memory of a process so far, in MB. */
export function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Math.round(Number(match[1]) / 1024);
}

/** CPU used by each of several processes between now and `done()`. */
export function cpuMeter(pids: { readonly [name: string]: number }): { done(): { [name: string]: number } } {
  const start = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  return {
    done: () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, Math.round((cpuSeconds(pid) - start[name]) * 100) / 100])),
  };
}

/** Resident memory of a process now, in MB (0 when it has ended). */
export function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Math.round(Number(match[1]) / 1024);
  } catch {
    return 0;
  }
}

/** Whether `pid` used under 5% of a core over the next half second: at rest, with nothing left of work it was given. */
export async function atRest(pid: number): Promise<boolean> {
  const before = cpuSeconds(pid);
  await new Promise((resolve) => setTimeout(resolve, 500));
  return cpuSeconds(pid) - before < 0.025;
}
