import type { KeyValueStorage } from '@/lib/veo/cache-local';

/** A localStorage stand-in: the Web Storage API over a Map, with an optional failure hook. */
export function createMemoryStorage(initial: Record<string, string> = {}) {
  const map = new Map(Object.entries(initial));
  const storage: KeyValueStorage & { map: Map<string, string>; failRemoveOnce?: boolean } = {
    map,
    get length() {
      return map.size;
    },
    key: (i) => [...map.keys()][i] ?? null,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, String(v)),
    removeItem(k) {
      if (storage.failRemoveOnce) {
        storage.failRemoveOnce = false;
        throw new Error('the tab was closed before this line ran');
      }
      map.delete(k);
    },
  };
  return storage;
}
