/**
 * Parsers for configuration values: each turns the raw string of one
 * environment variable into a typed value, or throws an Error whose message
 * says what is allowed. Used by the settings table.
 */
import { isIP } from 'node:net';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import bytes from 'bytes';
import ms from 'ms';

/** A parser of one setting's raw value. */
export type Parser<T> = (raw: string) => T;

/** A whole number from `min` to `max`. */
export const integer =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
      throw new Error(`must be a whole number from ${min} to ${max}`);
    }
    return value;
  };

/** A duration such as "500ms", "2m", "7d" or a number of milliseconds, as milliseconds. */
export const duration =
  (minMs: number): Parser<number> =>
  (raw) => {
    const value = /^\d+$/.test(raw.trim()) ? Number(raw) : ms(raw.trim() as ms.StringValue);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < minMs) {
      throw new Error(`must be a duration such as "500ms", "30s", "2m" or "7d", of at least ${minMs}ms`);
    }
    return value;
  };

/** A size such as "32KiB", "4MB" or a number of bytes, as bytes; "unlimited" gives -1 when allowed. */
export const byteSize =
  (minBytes: number, allowUnlimited = false): Parser<number> =>
  (raw) => {
    if (allowUnlimited && raw.trim() === 'unlimited') return -1;
    const value = bytes.parse(raw.trim().replace(/iB$/i, 'B'));
    if (value === null || !Number.isFinite(value) || value < minBytes) {
      throw new Error(`must be a size such as "32KiB" or "4MiB", of at least ${minBytes} bytes${allowUnlimited ? ', or "unlimited"' : ''}`);
    }
    return value;
  };

/**
 * How often JetStream syncs its files to disk, as nats-server's
 * `sync_interval` takes it: "always", an interval such as "10s" (as
 * milliseconds, "10000ms"), or "" for "default" (the server's own).
 */
export const syncInterval: Parser<string> = (raw) => {
  const value = raw.trim();
  if (value === 'default') return '';
  if (value === 'always') return value;
  try {
    return `${duration(100)(value)}ms`;
  } catch {
    throw new Error('must be "default", "always", or an interval such as "1s" or "30s", of at least 100ms');
  }
};

/** A listen address "host:port"; port 0 picks a free port. */
export const hostPort: Parser<string> = (raw) => {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw.trim());
  if (match === null || Number(match[2]) > 65535) throw new Error('must be host:port, such as 127.0.0.1:50051');
  return raw.trim();
};

/** A name of letters, digits, "_" and "-" (safe as a NATS subject token or stream name). */
export const token: Parser<string> = (raw) => {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw)) throw new Error('must be 1 to 64 letters, digits, "_" or "-"');
  return raw;
};

/** Empty, or a name as {@link token} allows. */
export const optionalToken: Parser<string> = (raw) => (raw === '' ? '' : token(raw));

/** "true" or "false". */
export const boolean: Parser<boolean> = (raw) => {
  if (raw !== 'true' && raw !== 'false') throw new Error('must be true or false');
  return raw === 'true';
};

/** One of the given words. */
export const oneOf =
  <T extends string>(...words: T[]): Parser<T> =>
  (raw) => {
    if (!(words as string[]).includes(raw)) throw new Error(`must be one of ${words.join(', ')}`);
    return raw as T;
  };

/** The items of a comma-separated list, each checked by `check` (which throws for a bad one); blanks are skipped. */
const commaList =
  (check: (item: string) => void): Parser<readonly string[]> =>
  (raw) =>
    raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '')
      .map((item) => {
        check(item);
        return item;
      });

/** Browser origins allowed by CORS, comma-separated: "*", or scheme://host[:port] each, where port may be "*" (any port). */
export const origins: Parser<readonly string[]> = commaList((origin) => {
  if (origin !== '*' && !/^https?:\/\/([A-Za-z0-9.-]+|\[[0-9a-fA-F:.]+\])(:(\d{1,5}|\*))?$/.test(origin)) {
    throw new Error(`"${origin}" is not an origin: use scheme://host[:port] with no path, such as https://app.example.com or http://localhost:*, or *`);
  }
});

/** Any string, taken as it is. */
export const text: Parser<string> = (raw) => raw;

/** The fewest characters a key given in plain (an API key, the admin key) may have. */
export const MIN_KEY_LENGTH = 16;

/** A secret key: empty (none) or at least {@link MIN_KEY_LENGTH} characters, so that it cannot be guessed in the attempts a throttle allows. */
export const key: Parser<string> = (raw) => {
  if (raw !== '' && raw.length < MIN_KEY_LENGTH) throw new Error(`must be at least ${MIN_KEY_LENGTH} characters`);
  return raw;
};

/** IP addresses, comma-separated (IPv4 or IPv6, as a peer address is written). */
export const ipAddresses: Parser<readonly string[]> = commaList((address) => {
  if (isIP(address) === 0) throw new Error(`"${address}" is not an IP address`);
});

/** An API key known to the server: the SHA-256 digest of the key (the key itself is never kept) and the source it names. */
export interface ApiKeyEntry {
  readonly digest: Buffer;
  readonly source: string;
}

/** The SHA-256 digest of an API key, as kept and compared by the server. */
export const digestKey = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

const DIGEST_PREFIX = 'sha256:';

/** An entry as a keys file holds it: `sha256:<64 hex digits of the key's SHA-256>=<source>`. */
export const apiKeyFileLine = (entry: ApiKeyEntry): string => `${DIGEST_PREFIX}${entry.digest.toString('hex')}=${entry.source}`;

/**
 * One entry: `sha256:<64 hex>=source`, or `key=source` unless
 * `plaintextRefused` is given, which then says why a key given itself is
 * refused. Throws an Error saying what is wrong, never quoting the key.
 */
export function apiKeyEntry(item: string, plaintextRefused?: (source: string) => string): ApiKeyEntry {
  const at = item.lastIndexOf('=');
  const key = item.slice(0, at).trim();
  const source = item.slice(at + 1).trim();
  const forms = `${DIGEST_PREFIX}<64 hex digits>=source${plaintextRefused === undefined ? ' or key=source' : ''}`;
  if (at <= 0) throw new Error(`must be ${forms}`);
  try {
    token(source);
  } catch (error) {
    throw new Error(`names a source that ${(error as Error).message}`);
  }
  if (key.startsWith(DIGEST_PREFIX)) {
    const hex = key.slice(DIGEST_PREFIX.length);
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`must have the 64 hex digits of the key's SHA-256 after "${DIGEST_PREFIX}"`);
    return { digest: Buffer.from(hex, 'hex'), source };
  }
  if (plaintextRefused !== undefined) throw new Error(plaintextRefused(source));
  if (key.length < MIN_KEY_LENGTH) throw new Error(`must be ${forms}, with a key of at least ${MIN_KEY_LENGTH} characters`);
  return { digest: digestKey(key), source };
}

/** A comma-separated list of entries, each key=source or sha256:<64 hex>=source. */
export const apiKeys: Parser<readonly ApiKeyEntry[]> = (raw) =>
  raw
    .split(',')
    .filter((item) => item.trim() !== '')
    .map((item, i) => {
      try {
        return apiKeyEntry(item);
      } catch (error) {
        throw new Error(`entry ${i + 1} ${(error as Error).message}`);
      }
    });

/**
 * The entries of a keys file's text: one sha256:<64 hex>=source per line,
 * "#" starting a comment. Throws an Error naming every bad line by its number
 * in the file (each also in its `problems`); a key given itself (key=source)
 * is refused with how to convert the file.
 */
export function apiKeysFileEntries(path: string, text: string): ApiKeyEntry[] {
  const refused = (source: string) =>
    `holds a key itself (key=source), and this file keeps only each key's SHA-256: convert the file with \`npx tributary keys --hash < ${path} > ${path}.new\` and move ${path}.new over it, or write the line as ${DIGEST_PREFIX}<64 hex digits of the key's SHA-256>=${source}`;
  const problems: string[] = [];
  const entries: ApiKeyEntry[] = [];
  text.split('\n').forEach((line, i) => {
    const item = line.replace(/#.*/, '').trim();
    if (item === '') return;
    try {
      entries.push(apiKeyEntry(item, refused));
    } catch (error) {
      problems.push(`line ${i + 1} ${(error as Error).message}`);
    }
  });
  if (problems.length > 0) throw Object.assign(new Error(problems.join('; ')), { problems });
  return entries;
}

/** The path of a keys file (see {@link apiKeysFileEntries}), checked now; empty for none. */
export const apiKeysFile: Parser<string> = (raw) => {
  const path = raw.trim();
  if (path !== '') apiKeysFileEntries(path, readFileSync(path, 'utf8'));
  return path;
};
