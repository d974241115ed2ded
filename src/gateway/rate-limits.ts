/**
 * Per-source rate limits: a token bucket of records for each source whose
 * settings (the sources file) give a `rateLimit`, refilled at
 * `recordsPerSecond` up to `burst`. A request takes one token a record, all
 * or none. A request larger than the burst passes when the bucket is full,
 * so no request is refused for ever, and leaves the bucket in debt, so large
 * requests cannot beat the rate. Pure but for the clock it is given.
 */
import type { RateLimit, SourceLookup } from '../config/source-settings';

interface Bucket {
  limit: RateLimit;
  tokens: number;
  /** When `tokens` was counted, in ms. */
  at: number;
}

/** The token buckets of every limited source. */
export class SourceRateLimits {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly sources: SourceLookup,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /**
   * Takes `count` records' tokens from `sourceId`'s bucket (into debt for a
   * request above the burst). Returns 0 when they were taken (or the source
   * has no limit); otherwise takes nothing and returns how many ms until
   * they can be.
   */
  take(sourceId: string, count: number): number {
    const limit = this.sources(sourceId).rateLimit;
    if (limit === undefined) {
      this.buckets.delete(sourceId);
      return 0;
    }
    const now = this.nowMs();
    const bucket = this.refilled(sourceId, limit, now);
    const needed = Math.min(count, limit.burst);
    if (bucket.tokens >= needed) {
      bucket.tokens -= count;
      return 0;
    }
    return Math.ceil(((needed - bucket.tokens) / limit.recordsPerSecond) * 1000);
  }

  /** The source's bucket, refilled for the time since it was last counted; a changed limit keeps the tokens it can hold. */
  private refilled(sourceId: string, limit: RateLimit, now: number): Bucket {
    const bucket = this.buckets.get(sourceId);
    if (bucket === undefined) {
      const fresh = { limit, tokens: limit.burst, at: now };
      this.buckets.set(sourceId, fresh);
      return fresh;
    }
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.recordsPerSecond);
    bucket.at = now;
    bucket.limit = limit;
    return bucket;
  }
}
