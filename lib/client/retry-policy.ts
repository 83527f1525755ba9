/**
 * When to try a failed op again, as data: exponential backoff with full jitter, capped, and never
 * sooner than the server's `Retry-After`.
 *
 * The base is short on purpose. Most failures are a burst (a deploy, a database blip, a request
 * lost on a bad link): after up to four failed attempts the next one comes within 800 ms, so the
 * user's last version is on the server within a second of the burst ending. A failure that lasts
 * still backs off: the ceiling doubles with every attempt, is 51 s on the tenth and reaches the
 * five-minute cap on the thirteenth, and an overloaded server's `Retry-After` always wins.
 */
export interface RetryPolicy {
  /** Delay before retry n is `random() * min(baseDelayMs * 2 ** n, maxDelayMs)`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 100, maxDelayMs: 5 * 60_000 };

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
