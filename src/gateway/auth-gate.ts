/**
 * The gate that gRPC and every HTTP door pass before any work on a call: the
 * client's address is checked against the throttle first (while it is
 * throttled, no key is compared and nothing is read), then the key it
 * presents. Any failure to authenticate counts against the address.
 */
import { IngestError } from '../errors/ingest-error';
import type { ApiKeyRing } from './auth';
import { AuthThrottle, type AuthThrottleOptions } from './auth-throttle';

/** Finds the key a call presents: from its headers, or (Segment's writeKey) from a small body; may throw why it cannot. */
export type KeyFinder = () => string | undefined | Promise<string | undefined>;

/** Authentication, throttled per client address. */
export class AuthGate {
  private readonly throttle: AuthThrottle;

  constructor(
    private readonly keys: ApiKeyRing,
    private readonly options: AuthThrottleOptions,
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
  async authenticate(address: string, keyOf: KeyFinder, hint: string): Promise<string> {
    const retryAfterMs = this.throttle.retryAfterMs(address);
    if (retryAfterMs !== undefined) {
      const { maxFailures, windowMs } = this.options;
      throw new IngestError('AUTH_THROTTLED', `${maxFailures} failed authentications from this address within ${windowMs / 1000} s: try again in ${Math.ceil(retryAfterMs / 1000)} s`, {
        retryAfterMs,
        metadata: { max_failures: String(maxFailures), window_ms: String(windowMs) },
      });
    }
    try {
      return this.keys.sourceForKey(await keyOf(), hint);
    } catch (error) {
      this.throttle.recordFailure(address);
      throw error;
    }
  }
}
