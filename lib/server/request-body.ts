import 'server-only';
import { ApiError } from './api-error';
import { gunzip } from './compression';

/** The most bytes a request body may have on the wire (Vercel refuses over 4.5 MB). */
export const MAX_WIRE_BYTES = 4 * 1024 * 1024;
/** The most bytes of JSON a body may decompress to: a job of up to 20 MB. */
export const MAX_JSON_BYTES = 20 * 1024 * 1024;

export interface BodyLimits {
  readonly maxWireBytes: number;
  readonly maxJsonBytes: number;
}

const DEFAULT_LIMITS: BodyLimits = { maxWireBytes: MAX_WIRE_BYTES, maxJsonBytes: MAX_JSON_BYTES };

/** A JSON request body as it came: parsed, its bytes, and the gzip they came in. */
export interface JsonBody {
  readonly value: unknown;
  /** The JSON text's bytes (UTF-8), after inflating. */
  readonly json: Uint8Array;
  /** The body as sent, when it was `Content-Encoding: gzip`: one or more gzip members. */
  readonly gzip: Uint8Array | undefined;
}

/**
 * Reads a JSON request body, plain or `Content-Encoding: gzip`, within hard limits: the wire
 * size is checked while reading (a lying or missing Content-Length changes nothing) and gzip is
 * inflated with a cap on its output, so a decompression bomb costs at most `maxJsonBytes`.
 * Returns the parsed JSON; throws an {@link ApiError} (400, 413 or 415) otherwise.
 */
export async function readJsonBody(
  request: Request,
  limits: BodyLimits = DEFAULT_LIMITS,
): Promise<unknown> {
  return (await readJsonDocument(request, limits)).value;
}

/** {@link readJsonBody}, keeping the body's bytes (the job route may store the gzip as it came). */
export async function readJsonDocument(
  request: Request,
  limits: BodyLimits = DEFAULT_LIMITS,
): Promise<JsonBody> {
  const contentType = request.headers.get('content-type');
  if (contentType !== null && !/^application\/(.+\+)?json\s*(;|$)/i.test(contentType.trim())) {
    throw new ApiError(
      'unsupported_media_type',
      `Content-Type must be application/json, not ${contentType}`,
    );
  }
  const encoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (!['identity', 'gzip', 'x-gzip'].includes(encoding)) {
    throw new ApiError(
      'unsupported_encoding',
      `Content-Encoding ${encoding} is not supported; use gzip or none`,
    );
  }
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > limits.maxWireBytes) throw tooLarge(limits.maxWireBytes);

  const wire = await readLimited(request, limits.maxWireBytes);
  let json: Uint8Array = wire;
  if (encoding !== 'identity') {
    try {
      json = await gunzip(wire, { maxOutputLength: limits.maxJsonBytes });
    } catch (error) {
      if (
        error instanceof RangeError ||
        (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
      ) {
        throw new ApiError(
          'payload_too_large',
          `The body decompresses to more than ${limits.maxJsonBytes} bytes`,
        );
      }
      throw new ApiError('invalid_request', 'The body is not valid gzip');
    }
  }
  if (json.byteLength === 0)
    throw new ApiError('invalid_json', 'The body is empty; send a JSON job');

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    throw new ApiError('invalid_json', 'The body is not valid UTF-8');
  }
  try {
    const value = JSON.parse(text) as unknown;
    return { value, json, gzip: encoding === 'identity' ? undefined : wire };
  } catch (error) {
    const detail = error instanceof Error ? `: ${error.message}` : '';
    throw new ApiError('invalid_json', `The body is not valid JSON${detail}`);
  }
}

async function readLimited(request: Request, max: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw tooLarge(max);
    }
    parts.push(value);
  }
  return Buffer.concat(parts);
}

function tooLarge(max: number): ApiError {
  return new ApiError(
    'payload_too_large',
    `The request body is larger than ${max} bytes; send the job gzip-compressed (Content-Encoding: gzip)`,
  );
}
