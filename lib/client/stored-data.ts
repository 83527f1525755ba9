/**
 * How a job's data is held in IndexedDB: as a Blob where the engine stores Blobs, as the same
 * bytes in an ArrayBuffer where it does not. WebKit refuses every Blob in an ephemeral session
 * (Safari's private browsing, and every WebDriver session) and, now and then, in a normal one:
 * the put fails with `UnknownError: Error preparing Blob/File data to be stored in object store`
 * and its transaction aborts. Which form a database takes is decided once, by a probe when it
 * opens (writes of job data wait for its answer, reads do not), and again whenever a write fails
 * that way; reads accept both forms, always.
 */
/** A job's bytes as a `jobData` record holds them: exactly one of the two fields. */
export type StoredData =
  | { readonly blob: Blob; readonly bytes?: never }
  | { readonly bytes: ArrayBuffer; readonly blob?: never };

/** Databases (connections) known to refuse Blobs. */
const blobless = new WeakSet<object>();
/** Each connection's probe while it runs: writes of job data wait for it. */
const probes = new WeakMap<object, Promise<void>>();

/** Records the probe of `db` (probeBlobStorage): refused, and `db` gets ArrayBuffers. */
export function probeBlobStorageOf(db: object, accepted: Promise<boolean>): void {
  probes.set(
    db,
    accepted.then((ok) => {
      if (!ok) refuseBlobs(db);
      probes.delete(db);
    }),
  );
}

/** Whether data written to `db` should be Blobs. */
export function storesBlobs(db: object): boolean {
  return !blobless.has(db);
}

/** From now on, `db` gets ArrayBuffers. */
export function refuseBlobs(db: object): void {
  blobless.add(db);
}

/**
 * Tries to store a record holding a small Blob (`record(blob)`) in `storeName` and rolls the
 * attempt back, whatever it did: resolves with whether the engine accepted it. Nothing is ever
 * written.
 */
export function probeBlobStorage(
  db: IDBDatabase,
  storeName: string,
  record: (blob: Blob) => unknown,
): Promise<boolean> {
  return new Promise((resolve) => {
    let accepted = false;
    let tx: IDBTransaction;
    try {
      tx = db.transaction(storeName, 'readwrite');
      const request = tx.objectStore(storeName).put(record(new Blob(['probe'])));
      request.onsuccess = () => {
        accepted = true;
        tx.abort();
      };
      // The transaction's abort event settles it; the request's error must not bubble further.
      request.onerror = (event) => event.preventDefault();
    } catch {
      // DataCloneError thrown at once: an engine that cannot clone Blobs at all.
      resolve(false);
      return;
    }
    tx.onabort = () => resolve(accepted);
    tx.oncomplete = () => resolve(accepted);
  });
}

/** The bytes of a job's JSON, in the form `db` stores. Synchronous: usable inside a transaction. */
export function storedFromText(db: object, text: string): StoredData {
  if (storesBlobs(db)) return { blob: new Blob([text], { type: 'application/json' }) };
  return { bytes: new TextEncoder().encode(text).buffer };
}

/** A Blob (from the network, from CompressionStream) in the form `db` stores. Before a transaction. */
export async function storedFromBlob(db: object, blob: Blob): Promise<StoredData> {
  return storesBlobs(db) ? { blob } : { bytes: await blob.arrayBuffer() };
}

/** The stored bytes as a Blob, whichever form they were stored in (reading one copies nothing). */
export function dataBlob(data: StoredData): Blob {
  return data.blob ?? new Blob([data.bytes]);
}

/** How many bytes the data takes. */
export function dataSize(data: StoredData): number {
  return data.blob ? data.blob.size : data.bytes.byteLength;
}

/**
 * Whether `error` is an engine refusing to store a Blob: WebKit's UnknownError ("Error preparing
 * Blob/File data…"), or a DataCloneError from an engine that cannot clone one.
 */
export function isBlobRefusal(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'name' in error &&
    (error.name === 'UnknownError' || error.name === 'DataCloneError')
  );
}

/**
 * Runs a write that stores job data in `db`'s form; if the engine refuses a Blob (the probe said
 * it would not, but WebKit's normal sessions do now and then), switches `db` to ArrayBuffers and
 * runs it once more. The failed transaction was rolled back whole, so nothing is written twice.
 * `write` must choose the form when it runs (storedFromText/storedFromBlob), not before.
 */
export async function withStoredDataFallback<T>(db: object, write: () => Promise<T>): Promise<T> {
  await probes.get(db);
  try {
    return await write();
  } catch (error) {
    if (!storesBlobs(db) || !isBlobRefusal(error)) throw error;
    refuseBlobs(db);
    return write();
  }
}
