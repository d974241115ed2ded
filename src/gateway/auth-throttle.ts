/**
 * The count of failed authentications per client address, in fixed windows:
 * an address that fails `maxFailures` times within `windowMs` of its first
 * failure is throttled until that window passes. Successes are not counted.
 * The addresses tracked are capped, the oldest window evicted first, so a
 * flood of addresses cannot grow the map. Pure apart from the clock it is given.
 */

/** The most client addresses the gateway tracks at once: about 100 bytes each. */
export const MAX_TRACKED_ADDRESSES = 100_000;

/** How the throttle counts. */
export interface AuthThrottleOptions {
  /** Failures an address may make within a window; the next attempt is throttled. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** Most addresses tracked at once. */
  readonly maxAddresses: number;
  /** The clock, in milliseconds. */
  readonly now: () => number;
}

/** One address's window: when its first failure was, and how many since. */
interface Window {
  readonly start: number;
  failures: number;
}

/** Failed authentications per client address. */
export class AuthThrottle {
  /** In insertion order, which is the order of the windows' starts: the first entry is the oldest. */
  private readonly windows = new Map<string, Window>();

  constructor(private readonly options: AuthThrottleOptions) {}

  /** Milliseconds until `address` may try again, or undefined when it may try now. */
  retryAfterMs(address: string): number | undefined {
    const window = this.current(address);
    if (window === undefined || window.failures < this.options.maxFailures) return undefined;
    return window.start + this.options.windowMs - this.options.now();
  }

  /** Counts a failed authentication from `address`. */
  recordFailure(address: string): void {
    const window = this.current(address);
    if (window !== undefined) {
      window.failures++;
      return;
    }
    while (this.windows.size >= this.options.maxAddresses) this.windows.delete(this.windows.keys().next().value as string);
    this.windows.set(address, { start: this.options.now(), failures: 1 });
  }

  /** The window of `address` if it has not passed; a passed one is forgotten. */
  private current(address: string): Window | undefined {
    const window = this.windows.get(address);
    if (window === undefined || this.options.now() - window.start < this.options.windowMs) return window;
    this.windows.delete(address);
    return undefined;
  }
}
