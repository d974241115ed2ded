/**
 * `tributary keys`: a new key shown with the line the keys file keeps for it
 * (its digest, so the key is stored nowhere), and a keys file of key=source
 * lines converted into those lines.
 */
import { apiKeysFileEntries, digestKey } from '../../../src/config/parsers';
import { hashKeysFile, newKeyText } from '../../../src/cli/keys';

it('makes a key alone, for a variable such as TRIBUTARY_ADMIN_KEY', () => {
  const first = newKeyText(undefined);
  expect(first).toMatch(/^trib_[A-Za-z0-9_-]{32}$/);
  expect(newKeyText(undefined)).not.toBe(first);
});

it("shows a source's new key once, with the keys file's line of its digest", () => {
  const [intro, key, lineIntro, line, ...rest] = newKeyText('backend').split('\n');
  expect(intro).toBe('API key of source "backend" (shown this once: give it to the client, and keep it nowhere else):');
  expect(lineIntro).toBe('Its line for TRIBUTARY_API_KEYS_FILE:');
  expect(rest).toEqual([]);
  expect(key.trim()).toMatch(/^trib_[A-Za-z0-9_-]{32}$/);
  expect(line.trim()).toBe(`sha256:${digestKey(key.trim()).toString('hex')}=backend`);
  expect(() => newKeyText('not a source')).toThrow('--source must be 1 to 64 letters');
});

it('converts key=source lines into digests, keeping comments, blank lines and lines already converted', () => {
  const digest = `sha256:${digestKey('a-key-of-the-website-01').toString('hex')}=web`;
  const converted = hashKeysFile(`# production\na-key-of-the-backend-01=backend  # the API\n\n${digest}\n`);
  expect(converted).toBe(`# production\nsha256:${digestKey('a-key-of-the-backend-01').toString('hex')}=backend # the API\n\n${digest}\n`);
  expect(apiKeysFileEntries('f', converted).map((entry) => entry.source)).toEqual(['backend', 'web']);
});

it('names each line it cannot convert, never quoting a key', () => {
  expect(() => hashKeysFile('a-key-of-the-backend-01=backend\nshort=web\nno-source-at-all\n')).toThrow(
    'the keys file is not valid:\n  - line 2 must be sha256:<64 hex digits>=source or key=source, with a key of at least 16 characters\n  - line 3 must be sha256:<64 hex digits>=source or key=source',
  );
});
