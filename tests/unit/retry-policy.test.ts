import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, retryDelay } from '@/lib/client/retry-policy';

describe('retry policy', () => {
  const ceiling = (attempts: number) =>
    retryDelay(DEFAULT_RETRY_POLICY, attempts, undefined, () => 1);

  it('doubles the ceiling with each failed attempt, up to the cap', () => {
    expect([1, 2, 3, 4, 5].map(ceiling)).toEqual([100, 200, 400, 800, 1600]);
    expect(ceiling(30)).toBe(DEFAULT_RETRY_POLICY.maxDelayMs);
  });

  it('tries again within a second after a burst of up to four failures', () => {
    for (const attempts of [1, 2, 3, 4]) expect(ceiling(attempts)).toBeLessThan(1000);
  });

  it('backs off under sustained failure: a few dozen attempts in the first hour, not thousands', () => {
    // The expected delay is half the ceiling (full jitter): count attempts over one hour.
    let elapsed = 0;
    let attempts = 0;
    while (elapsed < 3_600_000) {
      attempts++;
      elapsed += retryDelay(DEFAULT_RETRY_POLICY, attempts, undefined, () => 0.5);
    }
    expect(attempts).toBeLessThan(40);
    expect(ceiling(13)).toBe(DEFAULT_RETRY_POLICY.maxDelayMs);
  });

  it('spreads retries with full jitter', () => {
    expect(retryDelay(DEFAULT_RETRY_POLICY, 3, undefined, () => 0.25)).toBe(100);
    expect(retryDelay(DEFAULT_RETRY_POLICY, 3, undefined, () => 0)).toBe(0);
  });

  it('never retries sooner than Retry-After asks', () => {
    expect(retryDelay(DEFAULT_RETRY_POLICY, 1, 30_000, () => 0.5)).toBe(30_000);
  });
});
