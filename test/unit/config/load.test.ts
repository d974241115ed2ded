/**
 * The configuration: defaults, typed values, every problem reported at once,
 * unknown TRIBUTARY_* variables refused with the closest name, rules between
 * settings, and API keys kept only as digests.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, validationLimits } from '../../../src/config/load';
import { digestKey } from '../../../src/config/parsers';
import { DEFAULT_LIMITS } from '../../../src/contract';

const problemsOf = (env: NodeJS.ProcessEnv): readonly string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the configuration was accepted');
};

it('gives the documented defaults, frozen, with the validator limits unchanged', () => {
  const config = loadConfig({});
  expect(config).toMatchObject({ grpcAddr: '127.0.0.1:50051', stream: 'TRIBUTARY', duplicateWindowMs: 120_000, maxStreamBytes: -1, maxRequestBytes: 4 * 1024 * 1024, maxRecordsPerRequest: 500 });
  expect(Object.isFrozen(config)).toBe(true);
  expect(validationLimits(config)).toEqual(DEFAULT_LIMITS);
});

it('reads durations and sizes in human units', () => {
  const config = loadConfig({ TRIBUTARY_STREAM_DUPLICATE_WINDOW: '10m', TRIBUTARY_STREAM_MAX_BYTES: '2GiB', TRIBUTARY_PUBLISH_TIMEOUT: '750' });
  expect(config.duplicateWindowMs).toBe(600_000);
  expect(config.maxStreamBytes).toBe(2 * 1024 ** 3);
  expect(config.publishTimeoutMs).toBe(750);
});

it('reports every problem at once, and suggests the closest name for an unknown variable', () => {
  const problems = problemsOf({ TRIBUTARY_GRPC_ADR: ':1', TRIBUTARY_MAX_TAGS: 'many', TRIBUTARY_STREAM: 'has space', TRIBUTARY_LOG_LEVEL: 'loud' });
  expect(problems).toHaveLength(4);
  expect(problems[0]).toBe('TRIBUTARY_GRPC_ADR is not a setting; did you mean TRIBUTARY_GRPC_ADDR?');
  expect(
    problems
      .slice(1)
      .map((p) => p.split(':')[0])
      .sort(),
  ).toEqual(['TRIBUTARY_LOG_LEVEL', 'TRIBUTARY_MAX_TAGS', 'TRIBUTARY_STREAM']);
});

it("accepts the clients' variables, and still refuses a typo of a setting", () => {
  expect(loadConfig({ TRIBUTARY_API_KEY: 'key-of-a-client-0123456789' }).apiKeys).toEqual([]);
  expect(problemsOf({ TRIBUTARY_API_KEY: 'k', TRIBUTARY_API_KEYZ: 'k=s' })).toEqual(['TRIBUTARY_API_KEYZ is not a setting; did you mean TRIBUTARY_API_KEYS?']);
});

it('refuses settings that contradict each other', () => {
  expect(problemsOf({ TRIBUTARY_MAX_IN_FLIGHT: '100' })).toEqual([expect.stringContaining('TRIBUTARY_MAX_IN_FLIGHT (100) must be at least TRIBUTARY_MAX_RECORDS_PER_REQUEST (500)')]);
  expect(problemsOf({ TRIBUTARY_GRPC_WEB_MAX_BODY: '4MiB' })).toEqual([expect.stringContaining('TRIBUTARY_GRPC_WEB_MAX_BODY (4194304) must be more than TRIBUTARY_MAX_REQUEST_BYTES (4194304)')]);
});

it('reads CORS origins, and refuses what is not an origin', () => {
  expect(loadConfig({ TRIBUTARY_CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
  expect(loadConfig({}).corsOrigins).toEqual([]);
  expect(problemsOf({ TRIBUTARY_CORS_ORIGINS: 'https://app.example.com/path' })).toEqual([expect.stringContaining('is not an origin')]);
});

it('reads API keys from the variable (keys or digests) and checks the file of digests at start, keeping digests only', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'keys-')), 'keys');
  writeFileSync(file, `# production keys\nsha256:${digestKey('key-from-file-000001').toString('hex')}=web_app  # the site\n\n`);
  const hashed = `sha256:${digestKey('key-hashed-in-env-01').toString('hex')}=web_app`;
  const config = loadConfig({ TRIBUTARY_API_KEYS: `key-from-env-0000001=backend,${hashed}`, TRIBUTARY_API_KEYS_FILE: file });
  expect(config.apiKeys).toEqual([
    { digest: digestKey('key-from-env-0000001'), source: 'backend' },
    { digest: digestKey('key-hashed-in-env-01'), source: 'web_app' },
  ]);
  expect(config.apiKeysFile).toBe(file);
  expect(JSON.stringify(config)).not.toContain('key-from-env');
});

it('refuses at start a keys file with a key given itself, naming the line and never the key', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'keys-')), 'keys');
  writeFileSync(file, '# old style\nkey-in-plaintext-0001=web_app\n');
  const problems = problemsOf({ TRIBUTARY_API_KEYS_FILE: file });
  expect(problems).toEqual([expect.stringMatching(/^TRIBUTARY_API_KEYS_FILE: line 2 holds a key itself .*npx tributary keys --hash/)]);
  expect(problems[0]).not.toContain('key-in-plaintext');
});

it('refuses short keys and source ids that are not subject tokens', () => {
  expect(problemsOf({ TRIBUTARY_API_KEYS: 'short=backend' })).toEqual([expect.stringContaining('at least 16 characters')]);
  expect(problemsOf({ TRIBUTARY_API_KEYS: 'a-long-enough-key-0001=back.end' })).toEqual([expect.stringContaining('letters, digits')]);
});

it('refuses an admin key shorter than 16 characters, and takes none or a long one', () => {
  expect(() => loadConfig({ TRIBUTARY_ADMIN_KEY: 'short-admin' })).toThrow(/TRIBUTARY_ADMIN_KEY.*at least 16 characters/);
  expect(loadConfig({ TRIBUTARY_ADMIN_KEY: 'a-long-enough-admin-key' }).adminKey).toBe('a-long-enough-admin-key');
  expect(loadConfig({}).adminKey).toBe('');
});
