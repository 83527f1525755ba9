/**
 * The history's first read of the device, begun before the app's code has loaded. The page
 * carries a small inline script (`earlyListScript`) that opens the database and reads what the
 * list is made of while the browser is still fetching and evaluating the app's JavaScript; the
 * app then takes over that connection and shows that list in its first render after hydration,
 * instead of opening the database and reading only then. Offline, that is most of what stands
 * between a reload and the user's jobs on screen.
 *
 * The script only reads. A database that needs an upgrade (or does not exist yet) is left to the
 * app: the script aborts the upgrade and the app opens it as it always did. The list it read is
 * shown once and read again at once through the sync engine, so a change made in another tab
 * between the two reads is not missed.
 */
import { DB_NAME, DB_VERSION } from './db';
import type { ListRecords } from './replica';

/** Where the inline script leaves its read for the app. */
export const EARLY_READ_KEY = '__veoEarlyRead';

export interface EarlyRead {
  /** A connection at the current version, the app's to adopt unless a newer version closed it. */
  readonly connection: IDBDatabase;
  /** What the list is made of, or undefined if the read failed. */
  records: ListRecords | undefined;
  /** Whether a newer version of the app asked for the database (the connection is closed). */
  closed: boolean;
}

/**
 * The inline script's body, run in the page as it is parsed. Self-contained (it is sent as its
 * source text) and written for every engine the app supports.
 */
function readEarly(name: string, version: number, key: string): void {
  (globalThis as unknown as Record<string, unknown>)[key] = new Promise<EarlyRead | undefined>(
    (resolve) => {
      let request: IDBOpenDBRequest;
      try {
        request = indexedDB.open(name, version);
      } catch {
        resolve(undefined);
        return;
      }
      // No database yet, or an older one: the app creates or upgrades it, not this script.
      request.onupgradeneeded = () => request.transaction?.abort();
      request.onerror = (event) => {
        event.preventDefault();
        resolve(undefined);
      };
      request.onsuccess = () => {
        const connection = request.result;
        const records: Partial<Record<keyof ListRecords, unknown>> = {};
        const early: EarlyRead = { connection, records: undefined, closed: false };
        connection.onversionchange = () => {
          connection.close();
          early.closed = true;
        };
        try {
          const tx = connection.transaction(['jobs', 'outbox', 'deadLetters', 'meta']);
          const take = (field: keyof ListRecords, got: IDBRequest) => {
            got.onsuccess = () => {
              records[field] = got.result as unknown;
            };
          };
          take('records', tx.objectStore('jobs').index('by-updatedAt').getAll());
          take('ops', tx.objectStore('outbox').getAll());
          take('letters', tx.objectStore('deadLetters').getAll());
          take('meta', tx.objectStore('meta').get('sync'));
          tx.oncomplete = () => {
            early.records = records as unknown as ListRecords;
            resolve(early);
          };
          tx.onabort = () => resolve(early);
        } catch {
          resolve(early);
        }
      };
    },
  );
}

/** The inline script that begins the read (for the history page's HTML). */
export function earlyListScript(): string {
  const args = [DB_NAME, DB_VERSION, EARLY_READ_KEY].map((arg) => JSON.stringify(arg));
  return `(${readEarly.toString()})(${args.join(',')})`;
}

/**
 * The page's early read, once: the first caller gets it (the sync client, for its connection, and
 * the list); undefined where the page had no such script.
 */
export function takeEarlyRead(): Promise<EarlyRead | undefined> | undefined {
  const target = globalThis as unknown as Record<string, unknown>;
  const read = target[EARLY_READ_KEY] as Promise<EarlyRead | undefined> | undefined;
  delete target[EARLY_READ_KEY];
  return read?.then(
    (early) => early,
    () => undefined,
  );
}
