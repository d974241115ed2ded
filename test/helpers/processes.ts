/** The processes running on this machine, read from /proc (Linux, as the test machines are). */
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of the processes whose command line mentions `text`. */
export function processesWith(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}
