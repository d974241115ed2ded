/**
 * The data folder (TRIBUTARY_DATA_DIR) is for the service's user alone: it
 * holds the dev keys, the embedded ClickHouse and the NATS store. The
 * long-running roles set the umask to 077 first thing, so every file and
 * folder they, the embedded engine and their nats-server child create is
 * private (600 and 700). A folder that group or others can open, as older
 * versions left it, is tightened with everything in it, with a warning.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';

/** What group and others may do: nothing. */
const OTHERS = 0o077;

/** From now on, every file and folder this process and its children create is private to its user. */
export function createPrivately(): void {
  process.umask(OTHERS);
}

/** Takes group's and others' access from `root` and everything under it (symbolic links are left as they are); returns how many entries changed. */
function tighten(root: string): number {
  let changed = 0;
  const paths = [root];
  // Entries pushed while iterating are visited too: the whole tree, one stat each.
  for (const path of paths) {
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      continue; // gone meanwhile
    }
    if (stat.isSymbolicLink()) continue;
    if ((stat.mode & OTHERS) !== 0) {
      chmodSync(path, stat.mode & 0o7700); // the owner's bits (and setuid, setgid, sticky) stay
      changed++;
    }
    if (stat.isDirectory()) for (const name of readdirSync(path)) paths.push(join(path, name));
  }
  return changed;
}

/** The data folder belongs to another user: whoever owns it could have planted keys or links in it. */
export class DataDirNotOwnedError extends Error {
  constructor(dataDir: string, owner: number) {
    super(`the data folder ${dataDir} belongs to user ${owner}, not to this user (${process.getuid?.()}): another user could have put keys or links in it; use a folder of this user's own`);
    this.name = 'DataDirNotOwnedError';
  }
}

/**
 * Creates `dataDir` mode 700, or, when group or others can open it, makes it
 * and everything in it private (logged as a warning; when that fails, the
 * warning says why and the start goes on). Throws DataDirNotOwnedError for
 * a folder of another user's.
 */
export function makeDataDirPrivate(dataDir: string, logger: Logger): void {
  mkdirSync(resolve(dataDir), { recursive: true, mode: 0o700 });
  const dir = realpathSync(dataDir);
  const stat = statSync(dir);
  if (process.getuid !== undefined && stat.uid !== process.getuid()) throw new DataDirNotOwnedError(dir, stat.uid);
  if ((stat.mode & OTHERS) === 0) return;
  try {
    const tightened = tighten(dir);
    logger.warn({ dataDir: dir, tightened }, 'the data folder was open to other users: it and everything in it are now private to this user');
  } catch (error) {
    logger.warn({ dataDir: dir, err: error }, 'the data folder is open to other users and could not be made private: restrict it yourself (chmod -R go= …)');
  }
}
