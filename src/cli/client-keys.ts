/**
 * Where the client commands find the key they present, never on their
 * command line (where `ps` shows it to every user): a file named by a flag,
 * an environment variable, or the dev keys that serve keeps in the data
 * folder (TRIBUTARY_DATA_DIR), in that order.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SETTINGS } from '../config/settings';
import { readDevKeys, type DevKeys } from '../serve/dev-keys';

/** No key was found in any of its places; the message says where to put one. */
export class KeyNotFound extends Error {
  constructor(places: KeyPlaces, dataDir: string) {
    super(
      `this command needs ${places.what}: set ${places.variable}, or give ${places.fileFlag} <a file that holds it>, or run it beside a serve in dev mode (it finds the key in ${dataDir}/dev-keys.json; TRIBUTARY_DATA_DIR moves it)`,
    );
    this.name = 'KeyNotFound';
  }
}

/** The places one kind of key is looked for. */
export interface KeyPlaces {
  /** What the key is, for messages: "an API key". */
  readonly what: string;
  /** The flag that names a file holding the key. */
  readonly fileFlag: string;
  /** The environment variable that holds the key. */
  readonly variable: string;
  /** The dev key of this kind. */
  readonly devKey: keyof DevKeys;
}

/** The API key of `send`. */
export const API_KEY: KeyPlaces = { what: 'an API key', fileFlag: '--key-file', variable: 'TRIBUTARY_API_KEY', devKey: 'apiKey' };

/** The admin key of `query` and `identities`. */
export const ADMIN_KEY: KeyPlaces = { what: 'the admin key', fileFlag: '--admin-key-file', variable: 'TRIBUTARY_ADMIN_KEY', devKey: 'adminKey' };

/** Adds the flag of the key's file to `command`. */
export const withKeyFile = (command: Command, places: KeyPlaces): Command =>
  command.option(`${places.fileFlag} <path>`, `a file holding ${places.what} (default: ${places.variable}, or the dev key in TRIBUTARY_DATA_DIR/dev-keys.json)`);

/** The key in `file` when given, else in the environment, else the dev key; throws KeyNotFound saying where to put one. */
export function clientKey(places: KeyPlaces, file: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (file !== undefined) {
    const key = readFileSync(file, 'utf8').trim();
    if (key === '') throw new Error(`${file} (${places.fileFlag}) holds no key`);
    return key;
  }
  const fromEnv = env[places.variable] ?? '';
  if (fromEnv !== '') return fromEnv;
  const dataDir = env[SETTINGS.dataDir.env] ?? SETTINGS.dataDir.fallback;
  const devKey = readDevKeys(dataDir)?.[places.devKey];
  if (devKey !== undefined) return devKey;
  throw new KeyNotFound(places, dataDir);
}
