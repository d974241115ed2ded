/**
 * Dev mode: when `serve` has no API key configured, it makes an API key (for
 * source "dev") and an admin key once, keeps them under TRIBUTARY_DATA_DIR,
 * and reuses them on every start, in a file only its user can read. Outside
 * loopback it refuses instead. The client commands find the keys there.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The keys of dev mode. */
export interface DevKeys {
  readonly apiKey: string;
  readonly adminKey: string;
}

/** The source dev-mode records belong to. */
export const DEV_SOURCE = 'dev';

/** A new random key with a readable prefix. */
export const newKey = (prefix: string): string => `${prefix}_${randomBytes(24).toString('base64url')}`;

/** Whether a listen address only accepts local connections. */
export function isLoopback(address: string): boolean {
  const host = address.slice(0, address.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

const devKeysFile = (dataDir: string): string => join(dataDir, 'dev-keys.json');

/** The dev keys under `dataDir`, if serve has made them. */
export function readDevKeys(dataDir: string): DevKeys | undefined {
  const file = devKeysFile(dataDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DevKeys) : undefined;
}

/** The dev keys under `dataDir`, made on first use. */
export function devKeys(dataDir: string): DevKeys {
  const existing = readDevKeys(dataDir);
  if (existing !== undefined) return existing;
  const file = devKeysFile(dataDir);
  const keys: DevKeys = { apiKey: newKey('trib_dev'), adminKey: newKey('trib_admin') };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return keys;
}
