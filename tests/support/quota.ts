import { IDBObjectStore as FDBObjectStore } from 'fake-indexeddb';
import type { JobDataRecord } from '@/lib/client/db';
import { dataSize } from '@/lib/client/stored-data';

/**
 * Gives fake-indexeddb a storage quota for job data, the way a browser enforces one: a `put`
 * into `jobData` that would go over `limitBytes` aborts its whole transaction with
 * QuotaExceededError. Call `restore()` when done.
 */
export function simulateQuota(limitBytes: number) {
  const sizes = new Map<string, number>();
  const proto = FDBObjectStore.prototype as unknown as {
    put: (this: IDBObjectStore, value: unknown, key?: unknown) => unknown;
    delete: (this: IDBObjectStore, key: unknown) => unknown;
  };
  const originalPut = proto.put;
  const originalDelete = proto.delete;
  const state = { evictions: 0, restore };

  proto.put = function (value, key) {
    const request = originalPut.call(this, value, key);
    if (this.name === 'jobData') {
      const record = value as JobDataRecord;
      const total =
        [...sizes].reduce((n, [id, size]) => n + (id === record.jobId ? 0 : size), 0) +
        dataSize(record);
      if (total > limitBytes) {
        (this.transaction as unknown as { _abort(name: string): void })._abort(
          'QuotaExceededError',
        );
      } else {
        sizes.set(record.jobId, dataSize(record));
      }
    }
    return request;
  };
  proto.delete = function (key) {
    if (this.name === 'jobData' && typeof key === 'string' && sizes.delete(key)) state.evictions++;
    return originalDelete.call(this, key);
  };

  function restore() {
    proto.put = originalPut;
    proto.delete = originalDelete;
  }
  return state;
}
