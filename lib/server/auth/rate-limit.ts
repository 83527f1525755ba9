import 'server-only';

/** What a sign-in attempt was let through with: call `succeeded()` if the key was right. */
export type SignInAttempt =
  { readonly ok: true; succeeded(): void } | { readonly ok: false; readonly retryAfterMs: number };

export interface SignInLimiterOptions {
  /** Attempts that may fail per bucket (a client address, or a known device) in `windowMs`. */
  readonly perBucket: number;
  /** Failed attempts of all unknown clients together in `windowMs`: guessing spread over many addresses. */
  readonly global: number;
  readonly windowMs: number;
  readonly now?: () => number;
  /** Buckets remembered at most; the oldest is forgotten first. */
  readonly maxBuckets?: number;
}

/**
 * Sign-in attempts, counted in memory per server instance. An attempt is counted the moment it
 * starts — before the body is read or the key compared — so a burst of concurrent guesses gets
 * no more verdicts than the limit; a right key then takes its attempt back and clears its bucket.
 *
 * `global: false` is for a device that signed in before (a signed device cookie): it has a
 * bucket of its own and the global ceiling does not apply to it, so an attacker who exhausts the
 * global ceiling, or the owner's address's bucket, does not lock the owner out of their devices.
 */
export function createSignInLimiter(options: SignInLimiterOptions) {
  const now = options.now ?? Date.now;
  const maxBuckets = options.maxBuckets ?? 10_000;
  const buckets = new Map<string, number[]>();
  let global: number[] = [];

  const inWindow = (times: readonly number[]) => {
    const cutoff = now() - options.windowMs;
    return times.filter((t) => t > cutoff);
  };
  const waitFor = (times: readonly number[]) =>
    Math.max(1, (times[0] ?? now()) + options.windowMs - now());

  function recent(bucket: string): number[] {
    const times = inWindow(buckets.get(bucket) ?? []);
    if (times.length === 0) buckets.delete(bucket);
    else buckets.set(bucket, times);
    return times;
  }

  return {
    /** Counts an attempt from `bucket` now, or says how long it must wait (ms). Synchronous. */
    begin(bucket: string, { countGlobally }: { countGlobally: boolean }): SignInAttempt {
      const times = recent(bucket);
      if (times.length >= options.perBucket) return { ok: false, retryAfterMs: waitFor(times) };
      if (countGlobally) {
        global = inWindow(global);
        if (global.length >= options.global) return { ok: false, retryAfterMs: waitFor(global) };
      }
      const at = now();
      if (!buckets.has(bucket) && buckets.size >= maxBuckets) {
        // Bounded memory: forget the bucket that was written longest ago.
        const oldest = buckets.keys().next().value;
        if (oldest !== undefined) buckets.delete(oldest);
      }
      buckets.delete(bucket); // re-insert last: Map order is the eviction order
      buckets.set(bucket, [...times, at]);
      if (countGlobally) global.push(at);
      return {
        ok: true,
        succeeded() {
          buckets.delete(bucket);
          if (countGlobally) {
            const index = global.indexOf(at);
            if (index >= 0) global.splice(index, 1);
          }
        },
      };
    },
  };
}

export type SignInLimiter = ReturnType<typeof createSignInLimiter>;
