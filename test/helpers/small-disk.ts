/**
 * A small filesystem for full-disk tests: a tmpfs of a chosen size mounted on
 * a folder (root only), filled up to a few bytes by a file that a test then
 * removes to give the space back. {@link SmallDisk.unmount} never throws, so
 * a test's cleanup can always call it.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why this machine cannot mount a tmpfs (not root, refused), or undefined when it can. */
export function mountRefused(): string | undefined {
  try {
    SmallDisk.mount(1).unmount();
    return undefined;
  } catch (error) {
    return `mounting a tmpfs is refused here (${(error as Error).message.split('\n')[0]})`;
  }
}

/** A tmpfs mounted on a folder. */
export class SmallDisk {
  private readonly filler: string;

  private constructor(
    readonly folder: string,
    private readonly ownFolder: boolean,
  ) {
    this.filler = join(folder, 'filler');
  }

  /** Mounts a tmpfs of `sizeMiB` on `folder`, or on a temporary folder of its own (removed at {@link unmount}). */
  static mount(sizeMiB: number, folder?: string): SmallDisk {
    const target = folder ?? mkdtempSync(join(tmpdir(), 'tributary-disk-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', target], { stdio: 'pipe' });
    } catch (error) {
      if (folder === undefined) rmSync(target, { recursive: true, force: true });
      throw error;
    }
    return new SmallDisk(target, folder === undefined);
  }

  /** Bytes still free. */
  get freeBytes(): number {
    const stats = statfsSync(this.folder);
    return stats.bavail * stats.bsize;
  }

  /** Fills the disk until `leaveBytes` are free (about: a tmpfs counts whole pages). */
  fill(leaveBytes: number): void {
    const fd = openSync(this.filler, 'a');
    try {
      const chunk = Buffer.alloc(1 << 20);
      for (let left = this.freeBytes - leaveBytes; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, left));
    } catch (error) {
      // A process writing to the same disk meanwhile may have taken the last bytes first: full all the same.
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    } finally {
      closeSync(fd);
    }
  }

  /** Gives the filled space back. */
  free(): void {
    rmSync(this.filler, { force: true });
  }

  /** Unmounts (lazily, so that a process still holding a file cannot keep it), and removes a folder of its own; never throws. */
  unmount(): void {
    try {
      execFileSync('umount', ['-l', this.folder], { stdio: 'pipe' });
    } catch {
      // Not mounted any more.
    }
    if (this.ownFolder) rmSync(this.folder, { recursive: true, force: true });
  }
}
