import 'server-only';

/**
 * Session tokens: `base64url(payload).base64url(HMAC-SHA256(payload))`, where the payload holds
 * when the session was made and when it expires. Web Crypto only, so it runs in Node and on
 * edge runtimes alike. The HMAC key is derived from the access key: changing the access key ends
 * every session.
 */

const encoder = new TextEncoder();

export interface SessionPayload {
  /** Format version. */
  readonly v: 1;
  /** Issued at (ms). */
  readonly iat: number;
  /** Expires at (ms). */
  readonly exp: number;
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** The HMAC key for sessions, derived from the access key. */
export async function sessionKey(accessKey: string): Promise<CryptoKey> {
  const material = await crypto.subtle.digest(
    'SHA-256',
    encoder.encode(`veo-sync session v1:${accessKey}`),
  );
  return crypto.subtle.importKey('raw', material, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
}

export async function signSession(
  key: CryptoKey,
  now: number,
  ttlMs: number,
): Promise<{ token: string; expiresAt: number }> {
  const payload: SessionPayload = { v: 1, iat: now, exp: now + ttlMs };
  const body = base64url(encoder.encode(JSON.stringify(payload)));
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(body)));
  return { token: `${body}.${base64url(signature)}`, expiresAt: payload.exp };
}

/**
 * Checks a token's signature (constant time, by Web Crypto's verify) and its expiry. Returns the
 * payload, or null for anything malformed, tampered with or expired.
 */
export async function verifySession(
  key: CryptoKey,
  token: string,
  now: number,
): Promise<SessionPayload | null> {
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1] || token.length > 512) return null;
  const [body, signature] = parts as [string, string];
  let valid: boolean;
  try {
    valid = await crypto.subtle.verify(
      'HMAC',
      key,
      Buffer.from(signature, 'base64url'),
      encoder.encode(body),
    );
  } catch {
    return null;
  }
  if (!valid) return null;
  try {
    const payload = JSON.parse(
      Buffer.from(body, 'base64url').toString('utf8'),
    ) as Partial<SessionPayload>;
    if (payload.v !== 1 || typeof payload.exp !== 'number' || typeof payload.iat !== 'number')
      return null;
    if (payload.exp <= now) return null;
    return payload as SessionPayload;
  } catch {
    return null;
  }
}

/**
 * Compares a submitted access key with the real one in constant time: both are HMAC'd first, so
 * neither their content nor their length shows in the timing.
 */
export async function accessKeyMatches(
  key: CryptoKey,
  submitted: string,
  actual: string,
): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.sign('HMAC', key, encoder.encode(`access-key:${submitted}`)),
    crypto.subtle.sign('HMAC', key, encoder.encode(`access-key:${actual}`)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
