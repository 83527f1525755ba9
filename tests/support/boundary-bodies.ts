import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { MAX_WIRE_BYTES } from '@/lib/server/request-body';

/**
 * A PUT body for job `jobId` that is exactly `MAX_WIRE_BYTES` of gzip — the most a request may
 * carry — and valid in every other way, whose stored form (the server's gzip of `{"job": …}`,
 * with every default field filled in) is a few bytes over the stored-job limit. The server must
 * answer 413 and store nothing. Random base64 text barely compresses, so a search on its length
 * finds the size.
 */
export function gzipBodyAtTheLimit(jobId: string, updatedAt = Date.now()): Buffer {
  const text = randomBytes(Math.ceil(MAX_WIRE_BYTES * 1.05)).toString('base64');
  const body = (chars: number) =>
    gzipSync(
      JSON.stringify({
        jobId,
        createdAt: new Date(updatedAt).toISOString(),
        updatedAt,
        data: { blob: text.slice(0, chars) },
      }),
    );
  // Random base64 compresses at a near-constant rate: a secant search on the length lands within
  // a few bytes in a handful of steps, then a short walk finds the exact size.
  let [a, b] = [Math.floor(text.length * 0.8), text.length];
  let [sizeA, sizeB] = [body(a).byteLength, body(b).byteLength];
  for (let step = 0; step < 12; step++) {
    const next = Math.round(b + ((MAX_WIRE_BYTES - sizeB) * (b - a)) / (sizeB - sizeA));
    const candidate = body(next);
    if (candidate.byteLength === MAX_WIRE_BYTES) return candidate;
    [a, sizeA, b, sizeB] = [b, sizeB, next, candidate.byteLength];
    if (Math.abs(sizeB - MAX_WIRE_BYTES) <= 2) {
      for (let chars = next - 8; chars <= next + 8; chars++) {
        const near = body(chars);
        if (near.byteLength === MAX_WIRE_BYTES) return near;
      }
    }
  }
  throw new Error('no body of exactly MAX_WIRE_BYTES found near the boundary');
}
