import 'server-only';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signed tokens: `base64url(payload).base64url(HMAC-SHA256(kind + "." + payload))`, with a key
 * derived from the access key, so changing the access key ends every session and forgets every
 * device. Two kinds, never accepted for each other:
 * - `session`: names a row of `veo_sessions` (the server can end it) and expires;
 * - `device`: marks a browser that signed in before, so its sign-in attempts are counted apart
 *   from everyone else's (see rate-limit.ts). It opens nothing by itself.
 *
 * Synchronous (node:crypto), so a sign-in can be counted before anything is awaited.
 */

export type TokenKind = 'session' | 'device';

export interface SessionPayload {
  /** Format version: 2 names a server-side session (1, before migration 0003, did not). */
  readonly v: 2;
  /** Session id: the `veo_sessions` row. */
  readonly sid: string;
  /** Issued at (ms). */
  readonly iat: number;
  /** Expires at (ms). */
  readonly exp: number;
}

export interface DevicePayload {
  readonly v: 2;
  /** Device id: the sign-in limiter's bucket for this browser. */
  readonly dev: string;
  readonly iat: number;
}

const MAX_TOKEN_CHARS = 512;

/** The HMAC key for tokens, derived from the access key. */
export function tokenKey(accessKey: string): Buffer {
  return createHash('sha256').update(`veo-sync session v1:${accessKey}`).digest();
}

/** A new random id (128 bits, base64url). */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

function mac(key: Buffer, kind: TokenKind, body: string): Buffer {
  return createHmac('sha256', key).update(`${kind}.${body}`).digest();
}

export function signToken(key: Buffer, kind: 'session', payload: SessionPayload): string;
export function signToken(key: Buffer, kind: 'device', payload: DevicePayload): string;
export function signToken(key: Buffer, kind: TokenKind, payload: object): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(key, kind, body).toString('base64url')}`;
}

/** The payload of a token of `kind` whose signature holds (constant-time), or null. */
function verifiedPayload(
  key: Buffer,
  kind: TokenKind,
  token: string,
): Record<string, unknown> | null {
  if (token.length > MAX_TOKEN_CHARS) return null;
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return null;
  const [body, signature] = parts as [string, string];
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(key, kind, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const payload: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null
      ? (payload as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** A session token's payload if it is genuine and not expired at `now`; null otherwise. */
export function verifySessionToken(key: Buffer, token: string, now: number): SessionPayload | null {
  const p = verifiedPayload(key, 'session', token);
  if (
    p?.v !== 2 ||
    typeof p.sid !== 'string' ||
    typeof p.iat !== 'number' ||
    typeof p.exp !== 'number' ||
    p.exp <= now
  ) {
    return null;
  }
  return { v: 2, sid: p.sid, iat: p.iat, exp: p.exp };
}

/** A device token's payload if it is genuine; null otherwise. */
export function verifyDeviceToken(key: Buffer, token: string): DevicePayload | null {
  const p = verifiedPayload(key, 'device', token);
  if (p?.v !== 2 || typeof p.dev !== 'string' || typeof p.iat !== 'number') return null;
  return { v: 2, dev: p.dev, iat: p.iat };
}

/**
 * Compares a submitted access key with the real one in constant time: both are HMAC'd first, so
 * neither their content nor their length shows in the timing.
 */
export function accessKeyMatches(key: Buffer, submitted: string, actual: string): boolean {
  const digest = (value: string) =>
    createHmac('sha256', key).update(`access-key:${value}`).digest();
  return timingSafeEqual(digest(submitted), digest(actual));
}

/**
 * Names the access key without revealing it: devices remember which key their waiting changes
 * were made under, and send them only after a sign-in with the same key. Given only to callers
 * that are signed in (who know the key, or hold a session).
 */
export function accessKeyId(key: Buffer): string {
  return createHmac('sha256', key).update('key-id').digest().subarray(0, 12).toString('base64url');
}
