'use client';

import { useState } from 'react';

/**
 * One action at a time on a piece of the page (a row, a notice): which one is running, and the
 * error of the last one, shown where it belongs. `describe` turns a failure into what the user
 * reads (by default, its message).
 */
export function useAction<A extends string>(describe: (cause: unknown) => string = message) {
  const [busy, setBusy] = useState<A | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function act(action: A, run: () => Promise<void>): Promise<void> {
    setBusy(action);
    setError(null);
    try {
      await run();
    } catch (cause) {
      setError(describe(cause));
    } finally {
      setBusy(null);
    }
  }
  return { busy, error, act };
}

function message(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
