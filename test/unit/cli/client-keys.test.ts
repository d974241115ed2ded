/**
 * Where the client commands find their key, never on their command line: a
 * file named by a flag first, then the environment, then serve's dev keys;
 * and a message saying where to put one when there is none.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_KEY, API_KEY, clientKey, KeyNotFound } from '../../../src/cli/client-keys';
import { devKeys } from '../../../src/serve/dev-keys';

const dir = mkdtempSync(join(tmpdir(), 'client-keys-'));
const dataDir = join(dir, 'data');
const dev = devKeys(dataDir);
const keyFile = join(dir, 'key');
writeFileSync(keyFile, 'key-from-the-file-0001\n');
chmodSync(keyFile, 0o600);

it('takes the file first, then the variable, then the dev key', () => {
  const env = { TRIBUTARY_DATA_DIR: dataDir, TRIBUTARY_API_KEY: 'key-from-the-env-00001', TRIBUTARY_ADMIN_KEY: 'admin-from-the-env-001' };
  expect(clientKey(API_KEY, keyFile, env)).toBe('key-from-the-file-0001');
  expect(clientKey(API_KEY, undefined, env)).toBe('key-from-the-env-00001');
  expect(clientKey(ADMIN_KEY, undefined, env)).toBe('admin-from-the-env-001');
  expect(clientKey(API_KEY, undefined, { TRIBUTARY_DATA_DIR: dataDir, TRIBUTARY_API_KEY: '' })).toBe(dev.apiKey);
  expect(clientKey(ADMIN_KEY, undefined, { TRIBUTARY_DATA_DIR: dataDir })).toBe(dev.adminKey);
});

it('says where to put a key when there is none, and refuses an empty file', () => {
  const elsewhere = join(dir, 'no-serve-here');
  expect(() => clientKey(API_KEY, undefined, { TRIBUTARY_DATA_DIR: elsewhere })).toThrow(KeyNotFound);
  expect(() => clientKey(ADMIN_KEY, undefined, { TRIBUTARY_DATA_DIR: elsewhere })).toThrow(
    `this command needs the admin key: set TRIBUTARY_ADMIN_KEY, or give --admin-key-file <a file that holds it>, or run it beside a serve in dev mode (it finds the key in ${elsewhere}/dev-keys.json; TRIBUTARY_DATA_DIR moves it)`,
  );
  const empty = join(dir, 'empty');
  writeFileSync(empty, '\n');
  expect(() => clientKey(API_KEY, empty, {})).toThrow(`${empty} (--key-file) holds no key`);
});
