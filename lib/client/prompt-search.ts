/**
 * The prompt-text index as a page searches it: the index's entries in memory (read once, then
 * kept up to date entry by entry), brought up to date with the data on the device in the
 * background once a text search is first made, and again after every change any context
 * announces. Typing never waits for it: a search uses what is indexed so far, and says what was
 * not searched (lib/veo/find-jobs.ts).
 *
 * Made for React's `useSyncExternalStore`: `get` returns the same object until something changes.
 */
import type { JobId } from '@/lib/shared/job-schema';
import type { Version } from '@/lib/shared/version';
import type { JobsChangedListener } from './notifier';
import type {
  PromptIndexEntry,
  PromptIndexRead,
  PromptWords,
  UpdatePromptIndexOptions,
  UpdatePromptIndexResult,
} from './prompt-index';

export interface PromptSearchSource {
  readPromptIndex(): Promise<PromptIndexRead>;
  updatePromptIndex(
    options: Omit<UpdatePromptIndexOptions, 'now'>,
  ): Promise<UpdatePromptIndexResult>;
  subscribe(listener: JobsChangedListener): () => void;
}

export interface PromptSearchState {
  /** Each indexed job's prompt words (only for jobs whose current data is on the device). */
  readonly words: PromptWords;
  /** While a pass indexes jobs: how far it is. */
  readonly indexing: { readonly done: number; readonly total: number } | null;
  /** Whether the index has been read at least once (before that, nothing is searched). */
  readonly ready: boolean;
  /** Whether a pass is bringing the index up to date (or is about to). */
  readonly busy: boolean;
}

export interface PromptSearch {
  get(): PromptSearchState;
  /** Calls `onChange` after each change of `get()`; returns the unsubscribe function. */
  subscribe(onChange: () => void): () => void;
  /**
   * Starts keeping the index up to date (the first text search calls it; calling it again does
   * nothing). Resolves when the pass it began (or the one running) has finished.
   */
  activate(): Promise<void>;
  close(): void;
}

/** How often a pass shows what it has indexed so far (ms). */
const PUBLISH_EVERY_MS = 250;

/** Yields to the event loop between two jobs, so that keystrokes are handled meanwhile. */
const yieldToPage = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export function createPromptSearch(
  source: PromptSearchSource,
  options: {
    pause?: () => Promise<void>;
    now?: () => number;
    onError?: (error: unknown) => void;
  } = {},
): PromptSearch {
  const onError = options.onError ?? ((error: unknown) => console.error('[veo-sync]', error));
  const pause = options.pause ?? yieldToPage;
  const clock = options.now ?? Date.now;
  const listeners = new Set<() => void>();
  const closing = new AbortController();
  let state: PromptSearchState = { words: new Map(), indexing: null, ready: false, busy: false };
  let words = new Map<JobId, PromptIndexEntry>();
  /** Jobs whose data could not be read, at that version: not tried again. */
  const failed = new Map<JobId, Version>();
  let active = false;
  /** The index is read whole first, and again after a pass found the device signed out. */
  let needsRead = true;
  let unsubscribe: (() => void) | undefined;
  let running: Promise<void> | undefined;
  let again: Promise<void> | undefined;

  function set(next: Partial<PromptSearchState>): void {
    state = { ...state, ...next };
    for (const listener of [...listeners]) listener();
  }

  let shownAt = -Infinity;

  async function pass(): Promise<void> {
    if (needsRead) {
      const read = await source.readPromptIndex();
      words = read.entries;
      set({ words: new Map(words), ready: true });
      if (read.signedOut) return;
      needsRead = false;
    }
    const result = await source.updatePromptIndex({
      known: words,
      skip: failed,
      pause,
      signal: closing.signal,
      onEntry: (entry, progress) => {
        words.set(entry.jobId, entry);
        // Shown a few times a second, not once per job: each showing searches and renders again.
        if (clock() - shownAt < PUBLISH_EVERY_MS) return;
        shownAt = clock();
        set({ words: new Map(words), indexing: progress });
      },
    });
    for (const [jobId, version] of result.failed) failed.set(jobId, version);
    if (result.signedOut) {
      words = new Map();
      needsRead = true;
    }
    for (const jobId of result.removed) words.delete(jobId);
    set({ words: new Map(words), indexing: null });
  }

  /** One pass at a time; a change during a pass asks for one more after it. */
  function run(): Promise<void> {
    if (!running) {
      if (!state.busy) set({ busy: true });
      running = pass().finally(() => {
        running = undefined;
        if (!again && !closing.signal.aborted) set({ busy: false });
      });
      return running;
    }
    again ??= running
      .catch(() => undefined)
      .then(() => {
        again = undefined;
        return run();
      });
    return again;
  }

  const report = (error: unknown) => {
    if (!closing.signal.aborted) onError(error);
  };

  return {
    get: () => state,
    subscribe(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    activate() {
      if (active) return running ?? Promise.resolve();
      active = true;
      unsubscribe = source.subscribe(() => void run().catch(report));
      return run().catch(report);
    },
    close() {
      closing.abort(new DOMException('The prompt search was closed', 'AbortError'));
      unsubscribe?.();
      listeners.clear();
    },
  };
}
