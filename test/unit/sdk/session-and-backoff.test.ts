/** The SDK's session rule (inactivity per platform) and its retry policy. */
import { isRetryable, retryDelayMs } from '../../../sdk/src/backoff';
import { SESSION_TIMEOUT_MS, SessionTracker } from '../../../sdk/src/session';
import { errorFromStatus, TributaryError } from '../../../sdk/src/transport';
import { RetryInfo } from '../../../src/gen/web/google/rpc/error_details';
import { Status } from '../../../src/gen/web/google/rpc/status';

describe('SessionTracker', () => {
  it('keeps a session while events come within the timeout, and starts another after a longer gap', () => {
    const session = new SessionTracker(SESSION_TIMEOUT_MS.web);
    const first = session.touch(0);
    expect(session.touch(29 * 60_000)).toBe(first);
    expect(session.touch(58 * 60_000)).toBe(first); // 29 min after the last event
    const second = session.touch(58 * 60_000 + 30 * 60_000 + 1);
    expect(second).not.toBe(first);
    expect(second).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('uses 5 minutes on mobile and no session on servers', () => {
    const mobile = new SessionTracker(SESSION_TIMEOUT_MS.mobile);
    const first = mobile.touch(0);
    expect(mobile.touch(5 * 60_000 + 1)).not.toBe(first);
    expect(new SessionTracker(SESSION_TIMEOUT_MS.server).touch(0)).toBeUndefined();
  });
});

describe('retries', () => {
  it('retries unavailable, overloaded and timed-out calls only', () => {
    expect([14, 8, 4, 16, 3, 13].map((code) => isRetryable(new TributaryError(code, '')))).toEqual([true, true, true, false, false, false]);
  });

  it('backs off exponentially with jitter, up to the maximum, never below what the server asked', () => {
    const options = { baseMs: 100, maxMs: 1000 };
    const error = new TributaryError(14, '');
    expect([1, 2, 3, 4, 5, 10].map((attempt) => retryDelayMs(attempt, error, options, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(retryDelayMs(3, error, options, () => 0)).toBe(0);
    expect(retryDelayMs(1, new TributaryError(8, '', undefined, 2500), options, () => 0.5)).toBe(2500);
  });

  it('reads the reason and the retry delay out of google.rpc.Status details', () => {
    const retry = RetryInfo.encode({ retryDelay: { seconds: 1, nanos: 500_000_000 } }).finish();
    const details = Status.encode({ code: 8, message: 'too many in flight', details: [{ typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', value: retry }] }).finish();
    const error = errorFromStatus(8, 'fallback', details);
    expect([error.code, error.message, error.retryDelayMs]).toEqual([8, 'too many in flight', 1500]);
    expect(errorFromStatus(14, 'plain').message).toBe('plain');
  });
});
