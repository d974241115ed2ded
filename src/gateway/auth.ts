/**
 * API-key authentication: a call's `authorization: Bearer <key>` names the
 * source its records belong to. Keys are kept only as SHA-256 digests and
 * compared in constant time against every known key; they are never logged.
 */
import { timingSafeEqual } from 'node:crypto';
import { digestKey, type ApiKeyEntry } from '../config/parsers';
import { IngestError } from '../errors/ingest-error';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The token of an `authorization: Bearer <token>` value, or undefined. */
export const bearerToken = (authorization: string | undefined): string | undefined =>
  authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];

/** The known API keys and the sources they name. */
export class ApiKeyRing {
  constructor(private readonly entries: readonly ApiKeyEntry[]) {}

  /** How many keys are known. */
  get size(): number {
    return this.entries.length;
  }

  /**
   * The source id that an `authorization` header value names; throws an
   * UNAUTHENTICATED IngestError when the header or the key is missing or unknown.
   */
  sourceFor(authorization: string | undefined): string {
    return this.sourceForKey(bearerToken(authorization), 'send an API key as "authorization: Bearer <key>"');
  }

  /** The source id of `key`, however it was sent; `hint` says how to send one when it is missing. Throws as sourceFor does. */
  sourceForKey(key: string | undefined, hint: string): string {
    if (key === undefined || key === '') throw new IngestError('MISSING_API_KEY', hint);
    const digest = digestKey(key);
    let source: string | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest)) source ??= entry.source;
    }
    if (source === undefined) throw new IngestError('UNKNOWN_API_KEY', 'the API key is not known to this server');
    return source;
  }
}
