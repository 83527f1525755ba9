/**
 * When to try a failed op again, as data: exponential backoff with full jitter, capped, and never
 * sooner than the server's `Retry-After`.
 */
export interface RetryPolicy {
  /** Delay before retry n is `random() * min(baseDelayMs * 2 ** n, maxDelayMs)`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 5 * 60_000 };

/** The delay (ms) before the next attempt, after `attempts` failed ones. */
export function retryDelay(
  policy: RetryPolicy,
  attempts: number,
  retryAfterMs: number | undefined,
  random: () => number,
): number {
  const backoff =
    random() * Math.min(policy.baseDelayMs * 2 ** Math.max(0, attempts - 1), policy.maxDelayMs);
  return Math.max(Math.round(backoff), retryAfterMs ?? 0);
}
