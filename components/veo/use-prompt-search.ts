'use client';

import { useEffect, useSyncExternalStore } from 'react';
import type { PromptSearchState } from '@/lib/client/prompt-search';
import { getPromptSearch } from '@/lib/veo/cache';

const NOTHING_INDEXED: PromptSearchState = {
  words: new Map(),
  indexing: null,
  ready: false,
  busy: false,
};

/**
 * The prompt-text index as the finder searches it. Indexing begins with the first text search
 * (`active`) and then follows every change; until then nothing is read.
 */
export function usePromptSearch(active: boolean): PromptSearchState {
  useEffect(() => {
    if (active) void getPromptSearch().activate();
  }, [active]);
  return useSyncExternalStore(
    (onChange) => getPromptSearch().subscribe(onChange),
    () => getPromptSearch().get(),
    () => NOTHING_INDEXED,
  );
}
