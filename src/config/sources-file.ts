/**
 * The sources file (TRIBUTARY_SOURCES_FILE): per-source settings in JSON,
 * checked field by field with errors that name the source and the field,
 * and watched (src/config/watched-file.ts): a change takes effect within
 * seconds without a restart, and a bad new file is refused (logged) while
 * the last good one stays in force. JSON rather than YAML: no parser to
 * add, and the same file can be made by any tool (docs/decisions.md).
 *
 *     { "sources": { "web": { "trusted": false, "identitySecret": "…",
 *                             "rateLimit": { "recordsPerSecond": 500, "burst": 1000 } } } }
 */
import type { Logger } from 'pino';
import { token } from './parsers';
import { DEFAULT_SOURCE_SETTINGS, type RateLimit, type SourceLookup, type SourceSettings } from './source-settings';
import { WatchedFile } from './watched-file';

/** The file could not be used; `problems` lists every reason, each naming its source and field. */
export class SourcesFileError extends Error {
  constructor(
    readonly path: string,
    readonly problems: readonly string[],
  ) {
    super(`the sources file ${path} is not valid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SourcesFileError';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every key of `object` outside `known`, as problems at `where`. */
const unknownKeys = (object: Record<string, unknown>, known: readonly string[], where: string): string[] =>
  Object.keys(object)
    .filter((key) => !known.includes(key))
    .map((key) => `${where}.${key} is not a field (known: ${known.join(', ')})`);

const positiveNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;

function rateLimitOf(value: unknown, where: string, problems: string[]): RateLimit | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) return void problems.push(`${where} must be an object {"recordsPerSecond": n, "burst": n}`);
  problems.push(...unknownKeys(value, ['recordsPerSecond', 'burst'], where));
  const { recordsPerSecond, burst = recordsPerSecond } = value;
  if (!positiveNumber(recordsPerSecond)) problems.push(`${where}.recordsPerSecond must be a number above 0`);
  if (!positiveNumber(burst) || burst < 1) problems.push(`${where}.burst must be a number of at least 1`);
  return positiveNumber(recordsPerSecond) && positiveNumber(burst) ? { recordsPerSecond, burst } : undefined;
}

function settingsOf(source: string, value: unknown, problems: string[]): SourceSettings {
  const where = `sources.${source}`;
  try {
    token(source);
  } catch (error) {
    problems.push(`${where}: the source id ${(error as Error).message}`);
  }
  if (!isObject(value)) {
    problems.push(`${where} must be an object`);
    return DEFAULT_SOURCE_SETTINGS;
  }
  problems.push(...unknownKeys(value, ['trusted', 'identitySecret', 'rateLimit'], where));
  const { trusted = false, identitySecret = '' } = value;
  if (typeof trusted !== 'boolean') problems.push(`${where}.trusted must be true or false`);
  if (typeof identitySecret !== 'string' || (identitySecret !== '' && identitySecret.length < 16)) problems.push(`${where}.identitySecret must be a string of at least 16 characters`);
  return Object.freeze({
    trusted: trusted === true,
    identitySecret: typeof identitySecret === 'string' ? identitySecret : '',
    rateLimit: rateLimitOf(value.rateLimit, `${where}.rateLimit`, problems),
  });
}

/** Parses the text of a sources file into each source's settings; throws SourcesFileError listing every problem. */
export function parseSourcesFile(path: string, text: string): ReadonlyMap<string, SourceSettings> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SourcesFileError(path, [`not JSON: ${(error as Error).message}`]);
  }
  const problems: string[] = [];
  const settings = new Map<string, SourceSettings>();
  if (!isObject(document) || !isObject(document.sources)) {
    problems.push('the file must be an object {"sources": {"<source id>": {...}}}');
  } else {
    problems.push(...unknownKeys(document, ['sources'], '(top level)'));
    for (const [source, value] of Object.entries(document.sources)) settings.set(source, settingsOf(source, value, problems));
  }
  if (problems.length > 0) throw new SourcesFileError(path, problems);
  return settings;
}

/** A watched sources file: its settings now, reloaded when it changes. */
export class SourcesFile {
  private constructor(private readonly file: WatchedFile<ReadonlyMap<string, SourceSettings>>) {}

  /** Reads `path` (throwing SourcesFileError when it is not valid) and watches it from then on. */
  static open(path: string, logger: Logger): SourcesFile {
    return new SourcesFile(WatchedFile.open(path, { name: 'sources file', parse: parseSourcesFile, summary: (settings) => ({ sources: settings.size }) }, logger));
  }

  /** The settings in force for a source. */
  readonly lookup: SourceLookup = (sourceId) => this.file.value.get(sourceId) ?? DEFAULT_SOURCE_SETTINGS;

  /** Stops watching. */
  close(): void {
    this.file.close();
  }
}
