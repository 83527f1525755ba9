/**
 * Asks the browser not to evict this origin's storage under pressure (sync rule 10). Browsers may
 * say no (Safari, or Chrome for a site the user rarely visits), and some have no StorageManager
 * at all (WebKitGTK, older Safari): the app works the same either way, and this says which.
 */
export type PersistenceResult = 'persisted' | 'granted' | 'refused' | 'unsupported';

type StorageLike = Partial<Pick<StorageManager, 'persist' | 'persisted'>>;

export async function requestPersistentStorage(
  storage: StorageLike | undefined = (globalThis.navigator as Navigator | undefined)?.storage,
): Promise<PersistenceResult> {
  if (!storage?.persist) return 'unsupported';
  if (storage.persisted && (await storage.persisted())) return 'persisted';
  return (await storage.persist()) ? 'granted' : 'refused';
}
