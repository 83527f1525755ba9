/**
 * Reads a job bundle (`GET /api/veo/job-data`, see lib/shared/api-types.ts): the index line, then
 * each job's gzip bytes. Platform-neutral: the device's replicator and the tests use it.
 */
import { jobBundleIndexSchema, type JobBundleIndex } from './api-types';

export interface JobBundle {
  readonly index: JobBundleIndex;
  /** Each job's gzip document, in the index's order. */
  readonly parts: readonly Uint8Array<ArrayBuffer>[];
}

/** Splits a bundle; throws when it is not one (a proxy's page, a cut-off body). */
export function parseJobBundle(bytes: Uint8Array<ArrayBuffer>): JobBundle {
  const newline = bytes.indexOf(0x0a);
  if (newline < 0) throw new Error('not a job bundle: no index line');
  const raw: unknown = JSON.parse(new TextDecoder().decode(bytes.subarray(0, newline)));
  const index = jobBundleIndexSchema.parse(raw);
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let offset = newline + 1;
  for (const { gzipBytes } of index.jobs) {
    parts.push(bytes.subarray(offset, offset + gzipBytes));
    offset += gzipBytes;
  }
  if (offset !== bytes.byteLength) {
    throw new Error(`not a whole job bundle: ${bytes.byteLength - offset} bytes unaccounted for`);
  }
  return { index, parts };
}
