/**
 * Per-source token buckets on an injected clock: the burst, the refill at
 * the rate, all-or-none takes with the wait until they can succeed, sources
 * without a limit, a request above the burst, and a limit changed by a
 * reloaded sources file.
 */
import { DEFAULT_SOURCE_SETTINGS, type RateLimit, type SourceSettings } from '../../../src/config/source-settings';
import { SourceRateLimits } from '../../../src/gateway/rate-limits';

let now = 0;
const limits = new Map<string, RateLimit>([['noisy', { recordsPerSecond: 100, burst: 200 }]]);
const settings = (source: string): SourceSettings => ({ ...DEFAULT_SOURCE_SETTINGS, rateLimit: limits.get(source) });
const buckets = new SourceRateLimits(settings, () => now);

it('lets a burst through, then refuses with the wait until the rate refills it, taking nothing', () => {
  expect(buckets.take('noisy', 150)).toBe(0);
  expect(buckets.take('noisy', 50)).toBe(0);
  expect(buckets.take('noisy', 10)).toBe(100);
  now += 50;
  expect(buckets.take('noisy', 10)).toBe(50);
  now += 50;
  expect(buckets.take('noisy', 10)).toBe(0);
  expect(buckets.take('quiet', 1_000_000)).toBe(0);
});

it('lets a request above the burst through when the bucket is full, into debt paid at the rate, and follows a changed limit', () => {
  now += 10_000;
  expect(buckets.take('noisy', 500)).toBe(0);
  expect(buckets.take('noisy', 1)).toBe(3010);
  now += 3000;
  expect(buckets.take('noisy', 1)).toBe(10);
  limits.set('noisy', { recordsPerSecond: 1000, burst: 5 });
  now += 1000;
  expect(buckets.take('noisy', 5)).toBe(0);
  expect(buckets.take('noisy', 1)).toBe(1);
  limits.delete('noisy');
  expect(buckets.take('noisy', 1_000)).toBe(0);
});
