import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, retryDelay } from '@/lib/client/retry-policy';

describe('retry policy', () => {
  it('doubles the ceiling with each failed attempt, up to the cap', () => {
    const ceiling = (attempts: number) =>
      retryDelay(DEFAULT_RETRY_POLICY, attempts, undefined, () => 1);
    expect([1, 2, 3, 4].map(ceiling)).toEqual([1000, 2000, 4000, 8000]);
    expect(ceiling(30)).toBe(DEFAULT_RETRY_POLICY.maxDelayMs);
  });

  it('spreads retries with full jitter', () => {
    expect(retryDelay(DEFAULT_RETRY_POLICY, 3, undefined, () => 0.25)).toBe(1000);
    expect(retryDelay(DEFAULT_RETRY_POLICY, 3, undefined, () => 0)).toBe(0);
  });

  it('never retries sooner than Retry-After asks', () => {
    expect(retryDelay(DEFAULT_RETRY_POLICY, 1, 30_000, () => 0.5)).toBe(30_000);
  });
});
