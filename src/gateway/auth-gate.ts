/**
 * The gate that gRPC and every HTTP door pass before any work on a call: the
 * client's address is checked against the throttle first (while it is
 * throttled, no key is compared and nothing is read), then the key it
 * presents: a source's key for ingest, the admin key for the admin API. Any
 * failure to authenticate counts against the address.
 */
import { timingSafeEqual } from 'node:crypto';
import { digestKey } from '../config/parsers';
import { IngestError } from '../errors/ingest-error';
import type { ApiKeyRing } from './auth';
import { AuthThrottle, type AuthThrottleOptions } from './auth-throttle';

/** How to send the admin key. */
const ADMIN_HINT = 'send the admin key as "authorization: Bearer <key>"';

/** Finds the key a call presents: from its headers, or (Segment's writeKey) from a small body; may throw why it cannot. */
export type KeyFinder = () => string | undefined | Promise<string | undefined>;

/** Authentication, throttled per client address. */
export class AuthGate {
  private readonly throttle: AuthThrottle;

  constructor(
    private readonly keys: ApiKeyRing,
    private readonly options: AuthThrottleOptions,
    /** The admin key, for the admin API; empty when none is set (every admin call is then refused). */
    private readonly adminKey = '',
  ) {
    this.throttle = new AuthThrottle(options);
  }

  /**
   * The source of the key that `keyOf` finds for a call from `address`.
   * While the address is throttled, throws AUTH_THROTTLED (with the rest of
   * its window as the retry delay) without calling `keyOf`. Otherwise throws
   * what `keyOf` throws, or MISSING_API_KEY (saying `hint`) or
   * UNKNOWN_API_KEY, each counted as a failure of the address.
   */
  authenticate(address: string, keyOf: KeyFinder, hint: string): Promise<string> {
    return this.gated(address, async () => this.keys.sourceForKey(await keyOf(), hint));
  }

  /**
   * Admits a call to the admin API from `address` when `keyOf` finds the
   * admin key. Throttled as {@link authenticate}; a source's write key is
   * NOT_ADMIN_KEY (PERMISSION_DENIED), no key or any other UNAUTHENTICATED,
   * each counted as a failure of the address.
   */
  authenticateAdmin(address: string, keyOf: KeyFinder): Promise<void> {
    return this.gated(address, async () => {
      const key = await keyOf();
      if (key === undefined || key === '') throw new IngestError('MISSING_API_KEY', ADMIN_HINT);
      if (this.adminKey !== '' && timingSafeEqual(digestKey(key), digestKey(this.adminKey))) return;
      this.keys.sourceForKey(key, ADMIN_HINT);
      throw new IngestError('NOT_ADMIN_KEY', "the admin API takes the admin key only, not a source's write key");
    });
  }

  /** Runs `attempt` unless `address` is throttled; a failure counts against the address. */
  private async gated<T>(address: string, attempt: () => Promise<T>): Promise<T> {
    const retryAfterMs = this.throttle.retryAfterMs(address);
    if (retryAfterMs !== undefined) {
      const { maxFailures, windowMs } = this.options;
      throw new IngestError('AUTH_THROTTLED', `${maxFailures} failed authentications from this address within ${windowMs / 1000} s: try again in ${Math.ceil(retryAfterMs / 1000)} s`, {
        retryAfterMs,
        metadata: { max_failures: String(maxFailures), window_ms: String(windowMs) },
      });
    }
    try {
      return await attempt();
    } catch (error) {
      this.throttle.recordFailure(address);
      throw error;
    }
  }
}
