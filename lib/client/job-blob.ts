/**
 * A job's data on the device: JSON when saved (storing it takes ~1 ms, compressing a 4 MB job
 * ~215 ms in Chromium, so a save never compresses), gzip once the drain has compressed it for
 * upload. Held as a Blob or an ArrayBuffer (lib/client/stored-data.ts) and read here as a Blob.
 * Uses only web platform APIs, so it runs in pages and in the service worker.
 */
import type { CachedVeoJob } from '@/lib/shared/job-schema';
import type { Version } from '@/lib/shared/version';
import type { JobBlobEncoding } from './db';

/** Serialises a job for storage. The only cost on the save path: JSON.stringify. */
export function jobToJson(job: CachedVeoJob): string {
  // The version first: the drain checks it from the data's first bytes (hasVersion).
  const { version, ...rest } = job;
  return JSON.stringify({ version, ...rest });
}

/** gzip-compresses a Blob with the platform's CompressionStream. */
export function gzipBlob(blob: Blob): Promise<Blob> {
  return new Response(blob.stream().pipeThrough(new CompressionStream('gzip'))).blob();
}

async function gunzipText(blob: Blob): Promise<string> {
  return new Response(blob.stream().pipeThrough(new DecompressionStream('gzip'))).text();
}

/** Reads a stored job back, whatever its encoding. */
export async function blobToJob(blob: Blob, encoding: JobBlobEncoding): Promise<CachedVeoJob> {
  switch (encoding) {
    case 'job-json':
      return JSON.parse(await blob.text()) as CachedVeoJob;
    case 'job-gzip':
      return JSON.parse(await gunzipText(blob)) as CachedVeoJob;
    case 'document-json':
      return (JSON.parse(await blob.text()) as { job: CachedVeoJob }).job;
    case 'document-gzip':
      return (JSON.parse(await gunzipText(blob)) as { job: CachedVeoJob }).job;
  }
}

/**
 * The body of `PUT /api/veo/jobs/:id` for a stored Blob: gzip of the job's JSON, or the JSON as
 * it is where the platform has no CompressionStream (Safari before 16.4, Firefox before 113).
 */
export async function uploadBody(
  blob: Blob,
  encoding: JobBlobEncoding,
  version: Version,
): Promise<{ body: Blob; encoding: 'gzip' | 'identity' }> {
  // Data saved before versions existed (database version 1) carries none: the op's is the write's.
  const current =
    encoding === 'job-gzip' || encoding === 'job-json'
      ? await hasVersion(blob, encoding, version)
      : false;
  if (encoding === 'job-gzip' && current) return { body: blob, encoding: 'gzip' };
  const json =
    encoding === 'job-json' && current
      ? blob
      : new Blob([JSON.stringify({ ...(await blobToJob(blob, encoding)), version })]);
  if (typeof CompressionStream === 'undefined') return { body: json, encoding: 'identity' };
  return { body: await gzipBlob(json), encoding: 'gzip' };
}

/**
 * Whether a stored job's JSON names `version`. Cheap: jobToJson writes it first; data without
 * it (saved before versions) is read whole once, by the caller, to add it.
 */
async function hasVersion(
  blob: Blob,
  encoding: 'job-json' | 'job-gzip',
  version: Version,
): Promise<boolean> {
  if (encoding === 'job-gzip') return (await blobToJob(blob, encoding)).version === version;
  const head = await blob.slice(0, 64).text();
  return head.startsWith(`{"version":"${version}"`);
}
