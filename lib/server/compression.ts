import 'server-only';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

/**
 * Below this many input bytes zlib runs on the calling thread. An asynchronous call costs ~0.5 ms
 * of stream set-up and a thread-pool hop whatever its size, which is most of the work for a 2 KB
 * job and its answer; a synchronous one takes a few microseconds. Larger inputs go to the thread
 * pool, so a 3 MB job does not hold up other requests.
 */
const SYNC_LIMIT_BYTES = 64 * 1024;

/**
 * Output buffer of an asynchronous call: the default 16 KiB makes a 3 MB job 200 round trips to
 * the thread pool (27 ms to inflate 600 KB instead of 7).
 */
const CHUNK_BYTES = 1024 * 1024;

/** The faster gzip levels for bodies whose own compression is not kept (see job-document.ts). */
export type GzipLevel = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/** gzip, level 6 unless told otherwise. */
export function gzip(input: Uint8Array, level: GzipLevel = 6): Promise<Buffer> {
  if (input.byteLength < SYNC_LIMIT_BYTES) {
    try {
      return Promise.resolve(zlib.gzipSync(input, { level }));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
  return gzipAsync(input, { level, chunkSize: CHUNK_BYTES });
}

/**
 * Inflates gzip, refusing to produce more than `maxOutputLength` bytes (a RangeError with code
 * `ERR_BUFFER_TOO_LARGE`, as zlib throws it).
 */
export function gunzip(
  input: Uint8Array,
  { maxOutputLength }: { maxOutputLength?: number } = {},
): Promise<Buffer> {
  const options = maxOutputLength === undefined ? {} : { maxOutputLength };
  if (input.byteLength < SYNC_LIMIT_BYTES) {
    try {
      return Promise.resolve(zlib.gunzipSync(input, options));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
  return gunzipAsync(input, { ...options, chunkSize: CHUNK_BYTES });
}
