import 'server-only';
import type { CachedVeoJob } from '@/lib/shared/job-schema';
import { gunzip, gzip, type GzipLevel } from './compression';
import { wrapGzipMember } from './gzip-wrap';
import type { JsonBody } from './request-body';

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
  /** `sent`: the device's own gzip, wrapped; `compressed`: compressed here. */
  readonly from: 'sent' | 'compressed';
}

const DOCUMENT_PREFIX = Buffer.from('{"job":');
const DOCUMENT_SUFFIX = Buffer.from('}');

/**
 * The zlib level for a document compressed here: zlib's default (6) up to 256 KiB, 4 above it —
 * on a 3 MB job 45 ms instead of 155 ms for 17 % more bytes. Most large documents are not
 * compressed here at all: the device's gzip is kept (see {@link encodeJobDocument}).
 */
function levelFor(jsonBytes: number): GzipLevel {
  return jsonBytes <= 256 * 1024 ? 6 : 4;
}

/**
 * A device's gzip is kept unless it compresses its JSON less than 2:1 (job JSON compresses 4–6:1
 * at any real deflate level; under 2:1 is stored blocks or no real effort), for bodies over
 * 64 KiB: then it is compressed here again.
 */
function wellCompressed(gzipBytes: number, jsonBytes: number): boolean {
  return jsonBytes <= 64 * 1024 || gzipBytes * 2 <= jsonBytes;
}

/**
 * The response body of `GET /api/veo/jobs/:id` for this job, gzip. With `sent`, the body the
 * device sent, which the caller has found to be exactly this job (see {@link isSentJob}): its
 * JSON is stored as it came, and its gzip too — wrapped into the document without being
 * compressed again (lib/server/gzip-wrap.ts) — when it is one well-compressed gzip member.
 * Otherwise the document is serialised (`jobJson`: the job's JSON if the caller has it) and
 * compressed here.
 */
export async function encodeJobDocument(
  job: CachedVeoJob,
  { jobJson, sent }: { jobJson?: string; sent?: JsonBody } = {},
): Promise<EncodedJobDocument> {
  // A byte-order mark is not JSON whitespace: the device's bytes could not go inside the document.
  const bom = sent && sent.json[0] === 0xef && sent.json[1] === 0xbb && sent.json[2] === 0xbf;
  let json: Uint8Array;
  if (sent && !bom) {
    const jsonBytes =
      DOCUMENT_PREFIX.byteLength + sent.json.byteLength + DOCUMENT_SUFFIX.byteLength;
    if (sent.gzip && wellCompressed(sent.gzip.byteLength, sent.json.byteLength)) {
      const wrapped = wrapGzipMember(sent.gzip, sent.json, DOCUMENT_PREFIX, DOCUMENT_SUFFIX);
      if (wrapped && wrapped.byteLength <= MAX_DOCUMENT_GZIP_BYTES) {
        return { gzip: wrapped, jsonBytes, from: 'sent' };
      }
    }
    json = Buffer.concat([DOCUMENT_PREFIX, sent.json, DOCUMENT_SUFFIX]);
  } else {
    json = Buffer.from(`{"job":${jobJson ?? JSON.stringify(job)}}`, 'utf8');
  }
  const level = levelFor(json.byteLength);
  let packed = await gzip(json, level);
  // Never refuse a job for the faster level: one that fits at zlib's default is stored so.
  if (packed.byteLength > MAX_DOCUMENT_GZIP_BYTES && level !== 6) packed = await gzip(json, 6);
  return { gzip: packed, jsonBytes: json.byteLength, from: 'compressed' };
}

/**
 * Whether the JSON a device sent (`sent`, as JSON.parse read it) is `job` as the server stores
 * it: the same keys with the same values — nothing defaulted, trimmed, capped or issued on the
 * way. Validation keeps the values of `data` as they were parsed (the same objects), so the
 * check is by identity below the top level and costs nothing on a 3 MB job.
 */
export function isSentJob(sent: unknown, job: CachedVeoJob): boolean {
  if (!isPlainObject(sent)) return false;
  const stored = job as unknown as Record<string, unknown>;
  const keys = Object.keys(stored);
  if (Object.keys(sent).length !== keys.length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(sent, key)) return false;
    const value = stored[key];
    const came = sent[key];
    if (key === 'data') {
      if (!sameData(came, value)) return false;
    } else if (!jsonEqual(came, value)) {
      return false;
    }
  }
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `data` as validated (jobDataSchema: a new object, new arrays of the same elements). */
function sameData(sent: unknown, stored: unknown): boolean {
  if (!isPlainObject(sent) || !isPlainObject(stored)) return false;
  const keys = Object.keys(stored);
  if (Object.keys(sent).length !== keys.length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(sent, key)) return false;
    const a = sent[key];
    const b = stored[key];
    if (a === b) continue;
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  }
  return true;
}

/** Equality of JSON values (the job's small fields: strings, numbers, `error`). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]))
  );
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
