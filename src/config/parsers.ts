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

function apiKeyEntries(pairs: string[], where: string): ApiKeyEntry[] {
  return pairs.map((pair, i) => {
    const at = pair.lastIndexOf('=');
    const key = pair.slice(0, at).trim();
    const source = pair.slice(at + 1).trim();
    if (at <= 0 || key.length < 16) throw new Error(`${where} ${i + 1} must be key=source with a key of at least 16 characters`);
    token(source);
    return { digest: digestKey(key), source };
  });
}

/** A comma-separated list of key=source pairs. */
export const apiKeys: Parser<readonly ApiKeyEntry[]> = (raw) =>
  raw.trim() === '' ? [] : apiKeyEntries(raw.split(','), 'entry');

/** The path of a file of key=source lines ("#" starts a comment); empty for none. */
export const apiKeysFile: Parser<readonly ApiKeyEntry[]> = (raw) => {
  if (raw.trim() === '') return [];
  const lines = readFileSync(raw.trim(), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '');
  return apiKeyEntries(lines, 'line');
};
