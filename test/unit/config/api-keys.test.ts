/**
 * API key entries: the variable takes keys or their digests, the file only
 * digests, each bad line named by its number (never quoting a key); and the
 * watched keys file takes a good change and refuses a bad one, keeping the
 * last good keys.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openApiKeysFile } from '../../../src/config/api-keys-file';
import { apiKeyFileLine, apiKeys, apiKeysFileEntries, digestKey } from '../../../src/config/parsers';
import { waitFor } from '../../helpers/wait';

const KEY = 'a-key-of-the-backend-0001';
const hashed = (key: string, source: string): string => apiKeyFileLine({ digest: digestKey(key), source });

/** The problems `apiKeysFileEntries` names for `text`, one per bad line. */
const fileProblems = (text: string): readonly string[] => {
  try {
    apiKeysFileEntries('/etc/tributary/api-keys', text);
  } catch (error) {
    return (error as Error & { problems: readonly string[] }).problems;
  }
  throw new Error('the file was accepted');
};

it('writes an entry as the file keeps it: sha256, the 64 hex digits of the digest, and the source', () => {
  expect(hashed(KEY, 'backend')).toBe(`sha256:${digestKey(KEY).toString('hex')}=backend`);
  expect(hashed(KEY, 'backend')).toMatch(/^sha256:[0-9a-f]{64}=backend$/);
});

it('takes keys and digests in the variable, comma-separated', () => {
  const upperCaseHex = `sha256:${digestKey('another-key-of-the-web-1').toString('hex').toUpperCase()}=web`;
  expect(apiKeys(` ${KEY}=backend , ${upperCaseHex} ,`)).toEqual([
    { digest: digestKey(KEY), source: 'backend' },
    { digest: digestKey('another-key-of-the-web-1'), source: 'web' },
  ]);
  expect(apiKeys('')).toEqual([]);
  expect(() => apiKeys(`${KEY}=backend,short=web`)).toThrow('entry 2 must be sha256:<64 hex digits>=source or key=source, with a key of at least 16 characters');
  expect(() => apiKeys('sha256:abc=web')).toThrow('entry 1 must have the 64 hex digits of the key\'s SHA-256 after "sha256:"');
  expect(() => apiKeys(`${KEY}=web.app`)).toThrow('entry 1 names a source that must be 1 to 64 letters, digits, "_" or "-"');
  expect(() => apiKeys(KEY)).toThrow('entry 1 must be sha256:<64 hex digits>=source or key=source');
});

it('reads the digests of a file, skipping comments and blank lines', () => {
  const text = `# keys of production\n\n${hashed(KEY, 'backend')}   # the backend\r\n  ${hashed('a-key-of-the-website-01', 'web')}\n`;
  expect(apiKeysFileEntries('f', text)).toEqual([
    { digest: digestKey(KEY), source: 'backend' },
    { digest: digestKey('a-key-of-the-website-01'), source: 'web' },
  ]);
  expect(apiKeysFileEntries('f', '# nothing yet\n')).toEqual([]);
});

it('names every bad line of a file by its number, says how to convert a key given itself, and never quotes a key', () => {
  const problems = fileProblems(`# keys\n${hashed(KEY, 'backend')}\n\n${KEY}=web\nsha256:0123=web\n${hashed(KEY, 'bad source')}\nno-equals-sign\n`);
  expect(problems).toEqual([
    "line 4 holds a key itself (key=source), and this file keeps only each key's SHA-256: convert the file with `npx tributary keys --hash < /etc/tributary/api-keys > /etc/tributary/api-keys.new` and move /etc/tributary/api-keys.new over it, or write the line as sha256:<64 hex digits of the key's SHA-256>=web",
    'line 5 must have the 64 hex digits of the key\'s SHA-256 after "sha256:"',
    'line 6 names a source that must be 1 to 64 letters, digits, "_" or "-"',
    'line 7 must be sha256:<64 hex digits>=source',
  ]);
  expect(problems.join('\n')).not.toContain(KEY);
});

it('takes a change to the watched file without a restart, and keeps the last good keys when a change is bad', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-keys-'));
  const path = join(dir, 'api-keys');
  writeFileSync(path, `${hashed(KEY, 'backend')}\n`);
  const logged: string[] = [];
  const file = openApiKeysFile(path, pino({ level: 'info' }, { write: (line: string) => void logged.push(line) }));
  try {
    expect(file.value).toEqual([{ digest: digestKey(KEY), source: 'backend' }]);
    writeFileSync(path, `${hashed('a-key-of-the-website-01', 'web')}\n`);
    await waitFor('the change to take effect', () => (file.value[0]?.source === 'web' ? true : undefined));
    writeFileSync(path, `${hashed(KEY, 'backend')}\n${KEY}=backend\n`);
    await waitFor('the bad change to be refused', () =>
      logged.some((line) => line.includes('the changed API keys file is refused') && line.includes('line 2 holds a key itself')) ? true : undefined,
    );
    expect(file.value).toEqual([{ digest: digestKey('a-key-of-the-website-01'), source: 'web' }]);
    expect(logged.join('\n')).not.toContain(KEY);
  } finally {
    file.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
