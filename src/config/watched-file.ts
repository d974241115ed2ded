/**
 * A file of settings that takes effect without a restart: read and checked
 * when it is opened (a bad file throws, so a start fails), looked at every
 * second, and read again when it changes. A change that is not valid is
 * refused, logged with every problem, and the last good value stays in
 * force, and {@link WatchedFile.refused} says so until a good version
 * comes. The sources file and the API keys file are both watched this way.
 *
 * The file's stat is taken before each read and compared at each look, so a
 * change made while the file is being read is still seen (fs.watchFile takes
 * its first stat later, in the thread pool, and can miss one).
 */
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';

/** How often the file is looked at for a change. */
const POLL_MS = 1000;

/** What a watched file is and how to read it. */
export interface WatchedFileKind<T> {
  /** What the file is, for the log: "sources file". */
  readonly name: string;
  /** The value of the file's text; throws when it is not valid, with a `problems` list when there are several. */
  readonly parse: (path: string, text: string) => T;
  /** What to log about a value read (such as how many entries it has). */
  readonly summary: (value: T) => object;
}

/** The problems an Error from a parse reports. */
const problemsOf = (error: unknown): readonly string[] => {
  const problems = (error as { problems?: unknown }).problems;
  return Array.isArray(problems) ? (problems as string[]) : [(error as Error).message];
};

/** What tells one version of the file from another: its inode, size and times; "missing" when it cannot be had. */
function versionOf(path: string): string {
  try {
    const stat = statSync(path, { bigint: true });
    return `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
  } catch (error) {
    return `missing: ${(error as Error).message}`;
  }
}

/** A watched file: its value now, read again when it changes. */
export class WatchedFile<T> {
  private version: string;
  private current: T;
  private refusal: string | undefined;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly path: string,
    private readonly kind: WatchedFileKind<T>,
    private readonly logger: Logger,
  ) {
    this.version = versionOf(path);
    this.current = kind.parse(path, readFileSync(path, 'utf8'));
    this.timer = setInterval(() => this.look(), POLL_MS).unref();
  }

  /** Reads `path` (throwing what `kind.parse` throws when it is not valid) and watches it from then on. */
  static open<T>(path: string, kind: WatchedFileKind<T>, logger: Logger): WatchedFile<T> {
    const file = new WatchedFile(path, kind, logger);
    logger.info({ path, ...kind.summary(file.current) }, `${kind.name} loaded`);
    return file;
  }

  /** The value of the last good version of the file. */
  get value(): T {
    return this.current;
  }

  /** What says that the file's last change was refused (so the last good version is in force), or undefined when the file in force is the file on disk. */
  get refused(): string | undefined {
    return this.refusal;
  }

  /** Stops watching. */
  close(): void {
    clearInterval(this.timer);
  }

  /** Reads the file again when its version has changed since the last read. */
  private look(): void {
    const version = versionOf(this.path);
    if (version === this.version) return;
    this.version = version;
    try {
      this.current = this.kind.parse(this.path, readFileSync(this.path, 'utf8'));
      this.refusal = undefined;
      this.logger.info({ path: this.path, ...this.kind.summary(this.current) }, `${this.kind.name} reloaded`);
    } catch (error) {
      const problems = problemsOf(error);
      this.refusal = `a change of the ${this.kind.name} was refused at ${new Date().toISOString()} (${problems.length} problem${problems.length === 1 ? '' : 's'}, in the log); the last good one stays in force`;
      this.logger.error({ path: this.path, problems }, `the changed ${this.kind.name} is refused; the last good one stays in force`);
    }
  }
}
