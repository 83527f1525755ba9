import 'server-only';
import { D1Error, type D1Executor } from './executor';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Backoff before retry n (0-based) is `min(baseDelayMs * 2 ** n, maxDelayMs)`, full jitter. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /**
   * The longest `Retry-After` worth waiting for inside one API call. A longer one fails the call
   * at once (the API answers 503 with that `Retry-After`), so a request is never held for long.
   */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 2_000,
  maxRetryAfterMs: 5_000,
};

export interface RetryDeps {
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

/**
 * Wraps an executor so that retryable failures (429, 5xx, network, timeout) are sent again with
 * exponential backoff and jitter, honouring `Retry-After`. Safe because every batch the store
 * sends is idempotent: writes carry an op id and win or lose by last-writer-wins.
 */
export function withRetries(
  executor: D1Executor,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  deps: RetryDeps = {},
): D1Executor {
  const sleep = deps.sleep ?? abortableSleep;
  const random = deps.random ?? Math.random;
  return {
    async batch(statements, signal) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await executor.batch(statements, signal);
        } catch (error) {
          if (!(error instanceof D1Error) || !error.retryable || attempt + 1 >= policy.attempts) {
            throw error;
          }
          if (error.retryAfterMs !== undefined && error.retryAfterMs > policy.maxRetryAfterMs) {
            throw error;
          }
          const backoff = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs) * random();
          await sleep(Math.max(backoff, error.retryAfterMs ?? 0), signal);
        }
      }
    },
  };
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error
    ? reason
    : new DOMException('The operation was aborted', 'AbortError');
}
