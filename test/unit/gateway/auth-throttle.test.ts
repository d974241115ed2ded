/**
 * The throttle of failed authentications on an injected clock: N failures
 * within the window throttle an address until the window (from its first
 * failure) passes, other addresses are untouched, a passed window starts
 * afresh, and the map of addresses is capped with the oldest evicted. The
 * gate in front of the keys: while throttled it neither looks for a key nor
 * compares one, and answers AUTH_THROTTLED with the rest of the window as
 * RetryInfo; successes never count.
 */
import { digestKey } from '../../../src/config/parsers';
import { toRpcStatus } from '../../../src/errors/grpc-status';
import { IngestError } from '../../../src/errors/ingest-error';
import { ApiKeyRing } from '../../../src/gateway/auth';
import { AuthGate } from '../../../src/gateway/auth-gate';
import { AuthThrottle } from '../../../src/gateway/auth-throttle';
import { RetryInfo } from '../../../src/gen/google/rpc/error_details';

let now = 1_000_000;
const clock = () => now;
const WINDOW = 60_000;

describe('AuthThrottle', () => {
  const throttle = () => new AuthThrottle({ maxFailures: 3, windowMs: WINDOW, maxAddresses: 100, now: clock });

  it('throttles an address after N failures within the window, until the window from its first failure passes', () => {
    const counts = throttle();
    counts.recordFailure('198.51.100.1');
    now += 10_000;
    counts.recordFailure('198.51.100.1');
    expect(counts.retryAfterMs('198.51.100.1')).toBeUndefined();
    counts.recordFailure('198.51.100.1');
    expect(counts.retryAfterMs('198.51.100.1')).toBe(WINDOW - 10_000);
    expect(counts.retryAfterMs('198.51.100.2')).toBeUndefined();
    now += WINDOW - 10_000 - 1;
    expect(counts.retryAfterMs('198.51.100.1')).toBe(1);
    now += 1;
    expect(counts.retryAfterMs('198.51.100.1')).toBeUndefined();
  });

  it('starts a new window after one passes, rather than adding to the old count', () => {
    const counts = throttle();
    counts.recordFailure('a');
    counts.recordFailure('a');
    now += WINDOW;
    counts.recordFailure('a');
    counts.recordFailure('a');
    expect(counts.retryAfterMs('a')).toBeUndefined();
    counts.recordFailure('a');
    expect(counts.retryAfterMs('a')).toBe(WINDOW);
  });

  it('keeps at most maxAddresses, forgetting the oldest window first', () => {
    const counts = new AuthThrottle({ maxFailures: 1, windowMs: WINDOW, maxAddresses: 2, now: clock });
    counts.recordFailure('first');
    now += 1;
    counts.recordFailure('second');
    now += 1;
    counts.recordFailure('third');
    expect(['first', 'second', 'third'].map((address) => counts.retryAfterMs(address) !== undefined)).toEqual([false, true, true]);
  });
});

describe('AuthGate', () => {
  const KEY = 'gate-key-000000000001';
  const gate = () => new AuthGate(new ApiKeyRing([{ digest: digestKey(KEY), source: 'web' }]), { maxFailures: 2, windowMs: WINDOW, maxAddresses: 100, now: clock });
  const refusal = (attempt: Promise<unknown>): Promise<IngestError> =>
    attempt.then(
      () => Promise.reject(new Error('authenticated')),
      (error: IngestError) => error,
    );

  it('counts missing and unknown keys, then refuses the address without looking for a key, with the rest of the window as RetryInfo', async () => {
    const doors = gate();
    expect((await refusal(doors.authenticate('a', () => undefined, 'send one'))).reason).toBe('MISSING_API_KEY');
    expect((await refusal(doors.authenticate('a', () => 'wrong-key-00000000001', 'send one'))).reason).toBe('UNKNOWN_API_KEY');
    now += 15_000;
    const keyOf = jest.fn(() => KEY);
    const throttled = await refusal(doors.authenticate('a', keyOf, 'send one'));
    expect(keyOf).not.toHaveBeenCalled();
    expect(throttled).toMatchObject({ reason: 'AUTH_THROTTLED', retryAfterMs: WINDOW - 15_000, options: { metadata: { max_failures: '2', window_ms: String(WINDOW) } } });
    const retry = toRpcStatus(throttled).details.find((any) => any.typeUrl.endsWith('RetryInfo'));
    expect(RetryInfo.decode(retry!.value).retryDelay).toEqual({ seconds: 45, nanos: 0 });
    expect(await doors.authenticate('b', () => KEY, 'send one')).toBe('web');
  });

  it('counts a failure to find the key as a failed authentication', async () => {
    const doors = gate();
    const unreadable = () => Promise.reject(new IngestError('MALFORMED_REQUEST', 'the body is not JSON'));
    expect((await refusal(doors.authenticate('a', unreadable, 'send one'))).reason).toBe('MALFORMED_REQUEST');
    expect((await refusal(doors.authenticate('a', unreadable, 'send one'))).reason).toBe('MALFORMED_REQUEST');
    expect((await refusal(doors.authenticate('a', () => KEY, 'send one'))).reason).toBe('AUTH_THROTTLED');
  });

  it('never counts a success', async () => {
    const doors = gate();
    for (let i = 0; i < 5; i++) expect(await doors.authenticate('a', () => KEY, 'send one')).toBe('web');
    expect((await refusal(doors.authenticate('a', () => undefined, 'send one'))).reason).toBe('MISSING_API_KEY');
    expect(await doors.authenticate('a', () => KEY, 'send one')).toBe('web');
  });
});
