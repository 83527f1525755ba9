import 'server-only';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { CachedVeoJob } from '@/lib/shared/job-schema';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

/**
 * D1 refuses a row over 2,000,000 bytes. A chunk row holds the job id, the chunk number and this
 * many base64 characters (a multiple of 4, so every chunk decodes on its own).
 */
export const CHUNK_BASE64_CHARS = 1_900_000;

/**
 * The most gzip bytes a stored job may take. `GET /api/veo/jobs/:id` sends them as they are, and
 * Vercel refuses responses over 4.5 MB, so this stays below with room for headers.
 */
export const MAX_DOCUMENT_GZIP_BYTES = 4 * 1024 * 1024;

/** A job as stored: the gzip of `{"job": CachedVeoJob}`, exactly the body `GET` answers with. */
export interface EncodedJobDocument {
  readonly gzip: Uint8Array;
  /** Bytes of the JSON before compression. */
  readonly jsonBytes: number;
}

/** Serialises and compresses the response body of `GET /api/veo/jobs/:id` for this job. */
export async function encodeJobDocument(job: CachedVeoJob): Promise<EncodedJobDocument> {
  const json = Buffer.from(JSON.stringify({ job }), 'utf8');
  return { gzip: await gzip(json), jsonBytes: json.byteLength };
}

/** Splits gzip bytes into base64 chunks that each fit one D1 row. */
export function toBase64Chunks(bytes: Uint8Array): string[] {
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const chunks: string[] = [];
  for (let i = 0; i < base64.length; i += CHUNK_BASE64_CHARS) {
    chunks.push(base64.slice(i, i + CHUNK_BASE64_CHARS));
  }
  return chunks;
}

/** Joins base64 chunks (in order) back into the gzip bytes. */
export function fromBase64Chunks(chunks: readonly string[]): Uint8Array {
  return Buffer.concat(chunks.map((c) => Buffer.from(c, 'base64')));
}

/**
 * Decodes the plan's `veo_job_data.data_compressed` (base64 of gzip of the data JSON), for jobs
 * written by the plan's version of the app before the chunked format.
 */
export async function decodeLegacyData(dataCompressed: string): Promise<unknown> {
  const json = await gunzip(Buffer.from(dataCompressed, 'base64'));
  return JSON.parse(json.toString('utf8'));
}
