/** The SDK's session rule (inactivity per platform) and its retry policy. */
import { isRetryable, isTooLarge, retryDelayMs } from '../../../sdk/src/backoff';
import { SESSION_TIMEOUT_MS, SessionTracker } from '../../../sdk/src/session';
import { errorFromStatus, TributaryError } from '../../../sdk/src/transport';
import { RetryInfo } from '../../../sdk/src/gen/google/rpc/error_details';
import { Status } from '../../../sdk/src/gen/google/rpc/status';

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
  it('retries unavailable and timed-out calls, and RESOURCE_EXHAUSTED only with RetryInfo', () => {
    expect([14, 4, 8, 16, 3, 13].map((code) => isRetryable(new TributaryError(code, '')))).toEqual([true, true, false, false, false, false]);
    expect(isRetryable(new TributaryError(8, 'overloaded', 'OVERLOADED', 1000))).toBe(true);
  });

  it('takes RESOURCE_EXHAUSTED without RetryInfo, and too many records, as a batch too large', () => {
    expect(isTooLarge(new TributaryError(8, 'request too large', 'REQUEST_TOO_LARGE'))).toBe(true);
    expect(isTooLarge(new TributaryError(8, 'body too large'))).toBe(true);
    expect(isTooLarge(new TributaryError(3, 'too many', 'TOO_MANY_RECORDS'))).toBe(true);
    expect(isTooLarge(new TributaryError(8, 'overloaded', 'OVERLOADED', 1000))).toBe(false);
    expect(isTooLarge(new TributaryError(14, 'down'))).toBe(false);
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
