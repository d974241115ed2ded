/**
 * The sources file (TRIBUTARY_SOURCES_FILE): per-source settings in JSON,
 * checked field by field with errors that name the source and the field,
 * and watched (src/config/watched-file.ts): a change takes effect within
 * seconds without a restart, and a bad new file is refused (logged) while
 * the last good one stays in force. JSON rather than YAML: no parser to
 * add, and the same file can be made by any tool (docs/decisions.md).
 *
 *     { "sources": { "web": { "trusted": false, "identitySecret": "…",
 *                             "rateLimit": { "recordsPerSecond": 500, "burst": 1000 },
 *                             "consent": { "mode": "opt_in", "categories": ["analytics"] },
 *                             "plan": { "file": "plans/web.json", "mode": "block" } } } }
 *
 * A plan file's path is taken from the sources file's folder; the plan files
 * are read with the sources file and watched with it, so a changed plan is
 * in force as soon as a changed sources file is, and a plan that does not
 * parse is refused (with its file and line) as a bad sources file is.
 *
 * {@link SOURCE_FIELDS} lists every field; docs/configuration.md documents
 * each (a test compares the two).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { parsePlan, PlanFileError } from '../plan/parse-plan';
import { token } from './parsers';
import { DEFAULT_SOURCE_SETTINGS, type ConsentPolicy, type RateLimit, type SourceLookup, type SourcePlan, type SourceSettings } from './source-settings';
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

/** A field of a source's settings, as docs/configuration.md lists it. */
export interface SourceField {
  /** Its path in a source's object: `trusted`, `rateLimit.burst`. */
  readonly field: string;
  /** Its default, as the documentation writes it. */
  readonly fallback: string;
  /** What it does, as the documentation's table says it. */
  readonly doc: string;
}

/** Every field of a source's settings. */
export const SOURCE_FIELDS: readonly SourceField[] = [
  {
    field: 'trusted',
    fallback: '`false`',
    doc: 'The source is a server you control: its identify and alias links may merge two persons already identified as different user ids (docs/identity.md). A public browser or mobile key must stay untrusted.',
  },
  {
    field: 'identitySecret',
    fallback: '(none)',
    doc: 'When set (16 characters at least), an identify from the source links its profile to its user id only when it carries `userHash`, the hex HMAC-SHA256 of the user id under this secret, computed by your server (docs/identity.md).',
  },
  { field: 'rateLimit.recordsPerSecond', fallback: '(none)', doc: "The rate of the source's token bucket of records, above 0; without `rateLimit` the source has no limit." },
  { field: 'rateLimit.burst', fallback: 'the rate', doc: 'The most records the bucket holds (at least 1): a burst above the rate.' },
  {
    field: 'consent.mode',
    fallback: '(none)',
    doc: "`opt_in`: a record is dropped until the person accepts every category the source needs (NO_CONSENT, CONSENT_EXPIRED); `opt_out`: it is kept until the person rejects one (CONSENT_REJECTED). Without `consent` the source's records are not gated (docs/consent.md).",
  },
  {
    field: 'consent.categories',
    fallback: '(none)',
    doc: 'The categories the source needs, each of them, such as `["analytics", "marketing"]`: 1 to 32 distinct names of 1 to 256 characters. A decision without a category is about `general`.',
  },
  {
    field: 'plan.file',
    fallback: '(none)',
    doc: "The source's tracking plan (docs/tracking-plans.md), a JSON file; a relative path is taken from the sources file's folder. The plan is watched with this file: a change is in force within seconds, and a plan that does not parse is refused with its file and line while the last good one stays.",
  },
  {
    field: 'plan.mode',
    fallback: '`report`',
    doc: '`report`: a record that breaks the plan is stored, and each violation is written to `plan_violations`; `omit`: the offending properties are removed first; `block`: the record is REJECTED with its violations.',
  },
];

/** The fields of a source's object, or of its object field `under`. */
const fieldsOf = (under?: string): string[] => [
  ...new Set(SOURCE_FIELDS.map(({ field }) => field.split('.')).flatMap(([top, sub]) => (under === undefined ? [top] : top === under && sub !== undefined ? [sub] : []))),
];

/** Most categories one consent policy names. */
const MAX_CATEGORIES = 32;
/** Longest category name, as the contract allows a consent's category. */
const MAX_CATEGORY_LENGTH = 256;

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
  problems.push(...unknownKeys(value, fieldsOf('rateLimit'), where));
  const { recordsPerSecond, burst = recordsPerSecond } = value;
  if (!positiveNumber(recordsPerSecond)) problems.push(`${where}.recordsPerSecond must be a number above 0`);
  if (!positiveNumber(burst) || burst < 1) problems.push(`${where}.burst must be a number of at least 1`);
  return positiveNumber(recordsPerSecond) && positiveNumber(burst) ? { recordsPerSecond, burst } : undefined;
}

function consentOf(value: unknown, where: string, problems: string[]): ConsentPolicy | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) return void problems.push(`${where} must be an object {"mode": "opt_in" or "opt_out", "categories": ["…"]}`);
  problems.push(...unknownKeys(value, fieldsOf('consent'), where));
  const { mode, categories } = value;
  if (mode !== 'opt_in' && mode !== 'opt_out') problems.push(`${where}.mode must be "opt_in" or "opt_out"`);
  const names = Array.isArray(categories) ? categories : [];
  const good = names.every((c) => typeof c === 'string' && c.trim() !== '' && c.length <= MAX_CATEGORY_LENGTH);
  if (!Array.isArray(categories) || names.length === 0 || names.length > MAX_CATEGORIES || !good) {
    problems.push(`${where}.categories must be a list of 1 to ${MAX_CATEGORIES} category names, each 1 to ${MAX_CATEGORY_LENGTH} characters`);
  } else if (new Set(names).size !== names.length) {
    problems.push(`${where}.categories names a category twice`);
  }
  return mode === 'opt_in' || mode === 'opt_out' ? Object.freeze({ mode, categories: Object.freeze([...(names as string[])]) }) : undefined;
}

/** The modes a source's plan may have. */
const PLAN_MODES = ['report', 'omit', 'block'] as const;

/** The plan `value` refers to, its file read from `folder`. */
function planOf(value: unknown, where: string, folder: string, problems: string[]): SourcePlan | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) return void problems.push(`${where} must be an object {"file": "plans/….json", "mode": "report", "omit" or "block"}`);
  problems.push(...unknownKeys(value, fieldsOf('plan'), where));
  const { file, mode = 'report' } = value;
  if (!PLAN_MODES.includes(mode as SourcePlan['mode'])) problems.push(`${where}.mode must be one of ${PLAN_MODES.map((m) => `"${m}"`).join(', ')}`);
  if (typeof file !== 'string' || file === '') return void problems.push(`${where}.file must be the path of a plan file`);
  const path = resolve(folder, file);
  try {
    return Object.freeze({ file: path, mode: mode as SourcePlan['mode'], plan: parsePlan(path, readFileSync(path, 'utf8')) });
  } catch (error) {
    if (error instanceof PlanFileError) problems.push(...error.problems.map((problem) => `${where}.file: ${path} ${problem}`));
    else problems.push(`${where}.file: ${path} cannot be read: ${(error as Error).message}`);
    return undefined;
  }
}

function settingsOf(source: string, value: unknown, folder: string, problems: string[]): SourceSettings {
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
  problems.push(...unknownKeys(value, fieldsOf(), where));
  const { trusted = false, identitySecret = '' } = value;
  if (typeof trusted !== 'boolean') problems.push(`${where}.trusted must be true or false`);
  if (typeof identitySecret !== 'string' || (identitySecret !== '' && identitySecret.length < 16)) problems.push(`${where}.identitySecret must be a string of at least 16 characters`);
  return Object.freeze({
    trusted: trusted === true,
    identitySecret: typeof identitySecret === 'string' ? identitySecret : '',
    rateLimit: rateLimitOf(value.rateLimit, `${where}.rateLimit`, problems),
    consent: consentOf(value.consent, `${where}.consent`, problems),
    plan: planOf(value.plan, `${where}.plan`, folder, problems),
  });
}

/**
 * Where JSON.parse stopped, as " at line L, column C", or "". Its message is
 * not repeated: it quotes the text around the fault, which may be a secret.
 */
function jsonPosition(text: string, error: unknown): string {
  const position = /at position (\d+)/.exec((error as Error).message);
  if (position === null) return '';
  const before = text.slice(0, Number(position[1])).split('\n');
  return ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

/** Parses the text of a sources file into each source's settings; throws SourcesFileError listing every problem. */
export function parseSourcesFile(path: string, text: string): ReadonlyMap<string, SourceSettings> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SourcesFileError(path, [`not JSON${jsonPosition(text, error)}`]);
  }
  const problems: string[] = [];
  const settings = new Map<string, SourceSettings>();
  if (!isObject(document) || !isObject(document.sources)) {
    problems.push('the file must be an object {"sources": {"<source id>": {...}}}');
  } else {
    problems.push(...unknownKeys(document, ['sources'], '(top level)'));
    for (const [source, value] of Object.entries(document.sources)) settings.set(source, settingsOf(source, value, dirname(path), problems));
  }
  if (problems.length > 0) throw new SourcesFileError(path, problems);
  return settings;
}

/** The plan files the sources file at `path` names (as far as its text can be read), for the watch. */
function planFiles(path: string, text: string): string[] {
  try {
    const document: unknown = JSON.parse(text);
    const sources = isObject(document) && isObject(document.sources) ? Object.values(document.sources) : [];
    return sources.flatMap((source) =>
      isObject(source) && isObject(source.plan) && typeof source.plan.file === 'string' && source.plan.file !== '' ? [resolve(dirname(path), source.plan.file)] : [],
    );
  } catch {
    return [];
  }
}

/** A watched sources file, with the plan files it names: its settings now, reloaded when one of them changes. */
export class SourcesFile {
  private constructor(private readonly file: WatchedFile<ReadonlyMap<string, SourceSettings>>) {}

  /** Reads `path` (throwing SourcesFileError when it is not valid) and watches it from then on. */
  static open(path: string, logger: Logger): SourcesFile {
    return new SourcesFile(WatchedFile.open(path, { name: 'sources file', parse: parseSourcesFile, summary: (settings) => ({ sources: settings.size }), dependsOn: planFiles }, logger));
  }

  /** The settings in force for a source. */
  readonly lookup: SourceLookup = (sourceId) => this.file.value.get(sourceId) ?? DEFAULT_SOURCE_SETTINGS;

  /** What says that the file's last change was refused, or undefined when the file on disk is in force. */
  get refused(): string | undefined {
    return this.file.refused;
  }

  /** Stops watching. */
  close(): void {
    this.file.close();
  }
}
