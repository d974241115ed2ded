/**
 * The API keys file (TRIBUTARY_API_KEYS_FILE), watched: a key added works,
 * and a key removed is refused, within seconds of the change and without a
 * restart; a change that is not valid is refused (logged, naming each bad
 * line) and the last good keys stay in force. The file holds only each
 * key's SHA-256 (src/config/parsers.ts).
 */
import type { Logger } from 'pino';
import { apiKeysFileEntries, type ApiKeyEntry } from './parsers';
import { WatchedFile } from './watched-file';

/** Reads the keys file at `path` (throwing, naming each bad line, when it is not valid) and watches it from then on. */
export const openApiKeysFile = (path: string, logger: Logger): WatchedFile<readonly ApiKeyEntry[]> =>
  WatchedFile.open<readonly ApiKeyEntry[]>(path, { name: 'API keys file', parse: apiKeysFileEntries, summary: (entries) => ({ keys: entries.length }) }, logger);
