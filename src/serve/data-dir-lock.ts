/**
 * One `tributary serve` per data folder: serve's pid in
 * `<TRIBUTARY_DATA_DIR>/serve.pid`, checked at start against what runs under
 * that pid. A live serve there makes the start refuse with a clear message;
 * a pid file left by a serve that died (SIGKILL, the OOM killer) is taken
 * over. Linux only, as the machines are: the check reads /proc.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The data folder is in use by a running serve. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`the data folder ${dataDir} is in use by tributary serve (pid ${pid}); stop it first, or give this one another TRIBUTARY_DATA_DIR`);
    this.name = 'DataDirInUseError';
  }
}

/** The command line of a running process, or undefined when no process has that pid. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** The pid written in `file`, if any. */
export function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** A held data folder. */
export interface DataDirLock {
  /** Gives the folder up (removes the pid file if it is still ours). */
  release(): void;
}

/** Takes `dataDir` for this process, or throws DataDirInUseError when a live serve holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'serve.pid');
  const holder = readPid(file);
  if (holder !== undefined && holder !== process.pid && / serve\b/.test(commandLine(holder) ?? '')) throw new DataDirInUseError(dir, holder);
  writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
  return {
    release() {
      if (readPid(file) === process.pid) rmSync(file, { force: true });
    },
  };
}
