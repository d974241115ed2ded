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
 * its first stat later, in the thread pool, and can miss one). A file whose
 * value is read from other files too (the sources file names plan files)
 * says which, and their stats count as the file's: a change to one of them
 * reads the file again.
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
  /** The other files the text names and its value is read from (the sources file's plan files): a change to one is a change of the file. */
  readonly dependsOn?: (path: string, text: string) => readonly string[];
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

  private dependencies: readonly string[] = [];

  private constructor(
    private readonly path: string,
    private readonly kind: WatchedFileKind<T>,
    private readonly logger: Logger,
  ) {
    const { version, text } = this.read();
    this.version = version;
    this.current = kind.parse(path, text);
    this.timer = setInterval(() => this.look(), POLL_MS).unref();
  }

  /** The file's text and the version it was read at: each file's stat is taken before it is read, so a change made meanwhile is seen at the next look. */
  private read(): { version: string; text: string } {
    const own = versionOf(this.path);
    const text = readFileSync(this.path, 'utf8');
    this.dependencies = this.kind.dependsOn?.(this.path, text) ?? [];
    return { version: this.versionNow(own), text };
  }

  /** The version of the file, whose own is `own`, and of the files it depends on. */
  private versionNow(own = versionOf(this.path)): string {
    return [own, ...this.dependencies.map(versionOf)].join('|');
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
    const seen = this.versionNow();
    if (seen === this.version) return;
    // A version that cannot be read is refused once, not at every look.
    this.version = seen;
    try {
      const { version, text } = this.read();
      this.version = version;
      this.current = this.kind.parse(this.path, text);
      this.refusal = undefined;
      this.logger.info({ path: this.path, ...this.kind.summary(this.current) }, `${this.kind.name} reloaded`);
    } catch (error) {
      const problems = problemsOf(error);
      this.refusal = `a change of the ${this.kind.name} was refused at ${new Date().toISOString()} (${problems.length} problem${problems.length === 1 ? '' : 's'}, in the log); the last good one stays in force`;
      this.logger.error({ path: this.path, problems }, `the changed ${this.kind.name} is refused; the last good one stays in force`);
    }
  }
}
