import { IDBObjectStore as FDBObjectStore } from 'fake-indexeddb';

/**
 * Makes fake-indexeddb refuse Blobs the way WebKit does in an ephemeral session (Safari's private
 * browsing, every WebDriver session): a `put` of a value holding a Blob aborts its transaction
 * with `UnknownError` ("Error preparing Blob/File data to be stored in object store"), the rest
 * of the transaction rolled back with it. Strings and ArrayBuffers are stored as usual. Returns
 * the function that puts things back.
 */
export function refuseBlobsInIndexedDB(): () => void {
  const proto = FDBObjectStore.prototype as unknown as {
    put: (this: IDBObjectStore, value: unknown, key?: unknown) => unknown;
  };
  const originalPut = proto.put;
  proto.put = function (value, key) {
    const request = originalPut.call(this, value, key);
    if (holdsBlob(value)) {
      (this.transaction as unknown as { _abort(name: string): void })._abort('UnknownError');
    }
    return request;
  };
  return () => {
    proto.put = originalPut;
  };
}

function holdsBlob(value: unknown): boolean {
  if (value instanceof Blob) return true;
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.values(value).some((v) => v instanceof Blob)
  );
}

/**
 * How job data is stored in this test run: `arraybuffer` in the project that runs the sync tests
 * on an IndexedDB without Blobs (vitest.config.mts), `blob` otherwise.
 */
export const STORED_FORM: 'blob' | 'arraybuffer' =
  process.env.VEO_TEST_STORED_FORM === 'arraybuffer' ? 'arraybuffer' : 'blob';

/** The bytes of a `jobData` record as stored, whichever form. */
export function storedBytesOf(record: { blob?: Blob; bytes?: ArrayBuffer } | undefined) {
  return record?.blob ?? record?.bytes;
}

/** The class the bytes of a `jobData` record must be in this run. */
export const STORED_CLASS = STORED_FORM === 'arraybuffer' ? ArrayBuffer : Blob;
