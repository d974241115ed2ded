/**
 * API-key authentication: the key a call presents (`authorization: Bearer
 * <key>`, or a door's own form) names the source its records belong to.
 * Keys are kept only as SHA-256 digests and compared in constant time
 * against every known key; they are never logged.
 */
import { timingSafeEqual } from 'node:crypto';
import { digestKey, type ApiKeyEntry } from '../config/parsers';
import { IngestError } from '../errors/ingest-error';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** How to send a key where only a bearer token is read (gRPC, gRPC-Web, Connect). */
export const BEARER_HINT = 'send an API key as "authorization: Bearer <key>"';

/** The token of an `authorization: Bearer <token>` value, or undefined. */
export const bearerToken = (authorization: string | undefined): string | undefined => (authorization === undefined ? undefined : BEARER.exec(authorization)?.[1]);

/** The known API keys and the sources they name. */
export class ApiKeyRing {
  private readonly entries: () => readonly ApiKeyEntry[];

  /** `entries` are the keys, or a function that gives the keys in force at each call (a watched keys file). */
  constructor(entries: readonly ApiKeyEntry[] | (() => readonly ApiKeyEntry[])) {
    this.entries = typeof entries === 'function' ? entries : () => entries;
  }

  /** How many keys are known now. */
  get size(): number {
    return this.entries().length;
  }

  /** Whether some key names `source`. */
  hasSource(source: string): boolean {
    return this.entries().some((entry) => entry.source === source);
  }

  /**
   * The source id of `key`, however it was sent; `hint` says how to send one
   * when it is missing. Throws an UNAUTHENTICATED IngestError when the key is
   * missing or unknown.
   */
  sourceForKey(key: string | undefined, hint: string): string {
    if (key === undefined || key === '') throw new IngestError('MISSING_API_KEY', hint);
    const digest = digestKey(key);
    let source: string | undefined;
    for (const entry of this.entries()) {
      if (timingSafeEqual(digest, entry.digest)) source ??= entry.source;
    }
    if (source === undefined) throw new IngestError('UNKNOWN_API_KEY', 'the API key is not known to this server');
    return source;
  }
}
