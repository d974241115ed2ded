/**
 * The sources file: every problem named by source and field, defaults for
 * what a source leaves out, and a watched file that takes a good change
 * within seconds and refuses a bad one, keeping the last good settings;
 * the plan files it names read and watched with it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseSourcesFile, SourcesFile, SourcesFileError } from '../../../src/config/sources-file';
import { DEFAULT_SOURCE_SETTINGS } from '../../../src/config/source-settings';
import { waitFor } from '../../helpers/wait';

const problems = (text: string): readonly string[] => {
  try {
    parseSourcesFile('f.json', text);
    return [];
  } catch (error) {
    return (error as SourcesFileError).problems;
  }
};

it('reads each source, with defaults for what it leaves out', () => {
  const settings = parseSourcesFile(
    'f.json',
    JSON.stringify({
      sources: {
        web: {},
        api: { trusted: true, identitySecret: 'a-secret-of-16-chars', rateLimit: { recordsPerSecond: 50 }, consent: { mode: 'opt_out', categories: ['analytics', 'marketing'] } },
      },
    }),
  );
  expect(settings.get('web')).toEqual(DEFAULT_SOURCE_SETTINGS);
  expect(settings.get('api')).toEqual({
    trusted: true,
    identitySecret: 'a-secret-of-16-chars',
    rateLimit: { recordsPerSecond: 50, burst: 50 },
    consent: { mode: 'opt_out', categories: ['analytics', 'marketing'] },
  });
});

it('names every problem by its source and field', () => {
  expect(problems('{"sources": {"web": {"identitySecret": "a-secret-of-16-chars" x}}}')).toEqual(['not JSON at line 1, column 63']);
  expect(problems('{"source": {}}')).toEqual(['the file must be an object {"sources": {"<source id>": {...}}}']);
  expect(problems(JSON.stringify({ sources: { 'bad id': {}, web: { trusted: 'yes', identitySecret: 'short', rateLimit: { recordsPerSecond: 0, burst: -1, per: 1 }, extra: 1 } } }))).toEqual([
    'sources.bad id: the source id must be 1 to 64 letters, digits, "_" or "-"',
    'sources.web.extra is not a field (known: trusted, identitySecret, rateLimit, consent, plan)',
    'sources.web.trusted must be true or false',
    'sources.web.identitySecret must be a string of at least 16 characters',
    'sources.web.rateLimit.per is not a field (known: recordsPerSecond, burst)',
    'sources.web.rateLimit.recordsPerSecond must be a number above 0',
    'sources.web.rateLimit.burst must be a number of at least 1',
  ]);
  const consent = (value: unknown) => problems(JSON.stringify({ sources: { web: { consent: value } } }));
  expect(consent('opt_in')).toEqual(['sources.web.consent must be an object {"mode": "opt_in" or "opt_out", "categories": ["…"]}']);
  expect(consent({ mode: 'optin', categories: [], why: 1 })).toEqual([
    'sources.web.consent.why is not a field (known: mode, categories)',
    'sources.web.consent.mode must be "opt_in" or "opt_out"',
    'sources.web.consent.categories must be a list of 1 to 32 category names, each 1 to 256 characters',
  ]);
  expect(consent({ mode: 'opt_in', categories: ['ads', ''] })).toEqual(['sources.web.consent.categories must be a list of 1 to 32 category names, each 1 to 256 characters']);
  expect(consent({ mode: 'opt_in', categories: ['ads', 'ads'] })).toEqual(['sources.web.consent.categories names a category twice']);
});

it('never repeats the text of a file that is not JSON: it may hold a secret', () => {
  expect(problems('hunter2').join()).not.toContain('hunter2');
});

it('takes a good change without a restart, and keeps the last good file when a change is bad', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-sources-'));
  const path = join(dir, 'sources.json');
  writeFileSync(path, JSON.stringify({ sources: { web: { trusted: false } } }));
  const logged: string[] = [];
  const file = SourcesFile.open(path, pino({ level: 'info' }, { write: (line: string) => void logged.push(line) }));
  try {
    expect(file.lookup('web').trusted).toBe(false);
    writeFileSync(path, JSON.stringify({ sources: { web: { trusted: true } } }));
    await waitFor('the change to take effect', () => (file.lookup('web').trusted ? true : undefined));
    writeFileSync(path, JSON.stringify({ sources: { web: { trusted: 'no' } } }));
    await waitFor('the bad change to be refused', () => (logged.some((line) => line.includes('sources.web.trusted must be true or false')) ? true : undefined));
    expect(file.lookup('web').trusted).toBe(true);
    expect(file.refused).toMatch(/^a change of the sources file was refused at .* \(1 problem, in the log\); the last good one stays in force$/);
    writeFileSync(path, JSON.stringify({ sources: { web: { consent: { mode: 'opt_in', categories: ['analytics'] } } } }));
    await waitFor('the next good change to take effect', () => (file.lookup('web').consent !== undefined ? true : undefined));
    expect(file.refused).toBeUndefined();
  } finally {
    file.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it("reads a source's plan from its folder, and takes a change of the plan file alone without a restart, refusing a bad one with its file and line", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-sources-'));
  const path = join(dir, 'sources.json');
  mkdirSync(join(dir, 'plans'));
  const planPath = join(dir, 'plans', 'web.json');
  writeFileSync(planPath, JSON.stringify({ version: '1', track: { Viewed: {} } }));
  writeFileSync(path, JSON.stringify({ sources: { web: { plan: { file: 'plans/web.json', mode: 'block' } } } }));
  const logged: string[] = [];
  const file = SourcesFile.open(path, pino({ level: 'info' }, { write: (line: string) => void logged.push(line) }));
  try {
    expect(file.lookup('web').plan).toMatchObject({ file: planPath, mode: 'block', plan: { version: '1' } });
    writeFileSync(planPath, JSON.stringify({ version: '2', track: { Viewed: {} } }));
    await waitFor('the changed plan to take effect', () => (file.lookup('web').plan?.plan.version === '2' ? true : undefined));
    writeFileSync(planPath, '{"version": "3",\n "track": 7}');
    await waitFor('the bad plan to be refused', () => (logged.some((line) => line.includes(`sources.web.plan.file: ${planPath} line 2: track must be object`)) ? true : undefined));
    expect(file.lookup('web').plan?.plan.version).toBe('2');
    expect(file.refused).toBeDefined();
  } finally {
    file.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('names a plan that cannot be read or has no mode it knows', () => {
  expect(problems(JSON.stringify({ sources: { web: { plan: { file: '/nonexistent/plan.json', mode: 'drop' } } } }))).toEqual([
    'sources.web.plan.mode must be one of "report", "omit", "block"',
    expect.stringMatching(/^sources\.web\.plan\.file: \/nonexistent\/plan\.json cannot be read: ENOENT/),
  ]);
});
