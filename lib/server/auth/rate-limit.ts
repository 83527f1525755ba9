import 'server-only';

/**
 * Failed sign-ins per client, in memory: at most `limit` failures in `windowMs`, after which the
 * client waits until the oldest failure leaves the window. Per server instance (a serverless host
 * runs several; each still limits what reaches it).
 */
export function createFailureLimiter(options: {
  limit: number;
  windowMs: number;
  now?: () => number;
  maxClients?: number;
}) {
  const now = options.now ?? Date.now;
  const maxClients = options.maxClients ?? 10_000;
  const failures = new Map<string, number[]>();

  const recent = (client: string): number[] => {
    const cutoff = now() - options.windowMs;
    const times = (failures.get(client) ?? []).filter((t) => t > cutoff);
    if (times.length === 0) failures.delete(client);
    else failures.set(client, times);
    return times;
  };

  return {
    /** ms to wait before this client may try again, or 0. */
    retryAfterMs(client: string): number {
      const times = recent(client);
      if (times.length < options.limit) return 0;
      return Math.max(1, (times[0] ?? now()) + options.windowMs - now());
    },
    recordFailure(client: string): void {
      if (!failures.has(client) && failures.size >= maxClients) {
        // Bounded memory: forget the oldest client first.
        const oldest = failures.keys().next().value;
        if (oldest !== undefined) failures.delete(oldest);
      }
      failures.set(client, [...recent(client), now()]);
    },
    reset(client: string): void {
      failures.delete(client);
    },
  };
}
