import 'server-only';
import * as z from 'zod';
import { ApiError, jsonResponse } from '../api-error';
import { ConfigError } from '../env';
import { readJsonBody } from '../request-body';
import { createFailureLimiter } from './rate-limit';
import { accessKeyMatches, sessionKey, signSession, verifySession } from './session-token';

export const SESSION_COOKIE = 'veo_session';
export const DEFAULT_SESSION_DAYS = 30;

/**
 * Who may use the jobs API:
 * - `key`: whoever signed in with VEO_ACCESS_KEY (a session cookie);
 * - `local`: anyone, but only on this machine (the embedded database, no key: a developer's);
 * - `open`: anyone (VEO_ALLOW_ANONYMOUS=1, set on purpose);
 * - `refuse`: nobody — a real database without a key would be open to the internet.
 */
export type AccessPolicy =
  | { readonly mode: 'key'; readonly accessKey: string; readonly sessionTtlMs: number }
  | { readonly mode: 'local' | 'open' | 'refuse' };

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const accessEnvSchema = z.object({
  VEO_ACCESS_KEY: z.preprocess(
    blank,
    z.string().min(12, 'must be at least 12 characters').max(512).optional(),
  ),
  VEO_ALLOW_ANONYMOUS: z.preprocess(blank, z.enum(['1', 'true', '0', 'false']).optional()),
  VEO_SESSION_DAYS: z.preprocess(blank, z.coerce.number().positive().max(365).optional()),
});

/** Reads the access policy; `driver` is the job store's (see readStoreConfig). */
export function readAccessPolicy(
  driver: 'local' | 'rest',
  env: Record<string, string | undefined> = process.env,
): AccessPolicy {
  const parsed = accessEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      `Invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  }
  const vars = parsed.data;
  if (vars.VEO_ACCESS_KEY !== undefined) {
    return {
      mode: 'key',
      accessKey: vars.VEO_ACCESS_KEY,
      sessionTtlMs: (vars.VEO_SESSION_DAYS ?? DEFAULT_SESSION_DAYS) * 86_400_000,
    };
  }
  if (vars.VEO_ALLOW_ANONYMOUS === '1' || vars.VEO_ALLOW_ANONYMOUS === 'true')
    return { mode: 'open' };
  return driver === 'local' ? { mode: 'local' } : { mode: 'refuse' };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function isLoopback(request: Request): boolean {
  return LOOPBACK.has(new URL(request.url).hostname);
}

/** The origin the browser used: the forwarded host and protocol behind a proxy, else the URL's. */
function requestOrigin(request: Request): string {
  const url = new URL(request.url);
  const host =
    request.headers.get('x-forwarded-host')?.split(',')[0]?.trim() ??
    request.headers.get('host') ??
    url.host;
  const proto =
    request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim() ??
    url.protocol.replace(':', '');
  return `${proto}://${host}`;
}

/** The client a failed sign-in counts against. */
function clientId(request: Request): string {
  return (
    request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() ||
    request.headers.get('x-real-ip')?.trim() ||
    'direct'
  );
}

function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

const signInSchema = z.strictObject({ key: z.string().min(1, 'Enter the access key').max(512) });

export interface AccessGuardOptions {
  readonly now?: () => number;
  /** Failed sign-ins allowed per client in `failureWindowMs`. */
  readonly failureLimit?: number;
  readonly failureWindowMs?: number;
}

/**
 * Enforces the access policy on the jobs API and runs sign-in and sign-out. Every refusal is a
 * JSON error: 401 without a valid session, 403 for a cross-site write, 429 after too many failed
 * sign-ins, 503 when the server is not configured to be reachable safely.
 */
export function createAccessGuard(policy: AccessPolicy, options: AccessGuardOptions = {}) {
  const now = options.now ?? Date.now;
  const limiter = createFailureLimiter({
    limit: options.failureLimit ?? 5,
    windowMs: options.failureWindowMs ?? 15 * 60_000,
    now,
  });
  let keyPromise: Promise<CryptoKey> | undefined;
  const hmacKey = (accessKey: string) => (keyPromise ??= sessionKey(accessKey));

  /** Refuses a state-changing request that another site made the browser send (CSRF). */
  function checkOrigin(request: Request): void {
    const site = request.headers.get('sec-fetch-site');
    const origin = request.headers.get('origin');
    const crossSite =
      site !== null
        ? site !== 'same-origin' && site !== 'none'
        : origin !== null && origin !== requestOrigin(request);
    if (crossSite)
      throw new ApiError('forbidden', 'Changes to your jobs can only come from this app itself');
  }

  async function hasSession(request: Request): Promise<boolean> {
    if (policy.mode !== 'key') return false;
    const token = readCookie(request, SESSION_COOKIE);
    return (
      token !== undefined &&
      (await verifySession(await hmacKey(policy.accessKey), token, now())) !== null
    );
  }

  function cookie(request: Request, value: string, maxAgeSeconds: number): string {
    const secure =
      isLoopback(request) && new URL(request.url).protocol === 'http:' ? '' : '; Secure';
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
  }

  return {
    policy,
    checkOrigin,

    /** Lets the request through, or throws the ApiError that says why not. */
    async authorize(request: Request, { mutating }: { mutating: boolean }): Promise<void> {
      if (mutating) checkOrigin(request);
      switch (policy.mode) {
        case 'open':
          return;
        case 'local':
          if (isLoopback(request)) return;
          throw new ApiError(
            'access_not_configured',
            'This server uses its embedded database without an access key, which only this machine may use. Set VEO_ACCESS_KEY to use it from elsewhere.',
          );
        case 'refuse':
          throw new ApiError(
            'access_not_configured',
            'The jobs API is closed: set VEO_ACCESS_KEY (or, to allow anyone on purpose, VEO_ALLOW_ANONYMOUS=1) on the server.',
          );
        case 'key':
          if (await hasSession(request)) return;
          throw new ApiError('unauthorized', 'Sign in to use your job history');
      }
    },

    /** `GET /api/veo/session`: whether a session is needed and present. */
    async status(request: Request): Promise<Response> {
      return jsonResponse({
        required: policy.mode === 'key',
        signedIn: await hasSession(request),
        mode: policy.mode,
      });
    },

    /** `POST /api/veo/session` with `{ key }`: sets the session cookie. */
    async signIn(request: Request): Promise<Response> {
      checkOrigin(request);
      if (policy.mode !== 'key') {
        throw new ApiError(
          'invalid_request',
          'This server has no access key: there is nothing to sign in to',
        );
      }
      const client = clientId(request);
      const wait = limiter.retryAfterMs(client);
      if (wait > 0) {
        throw new ApiError(
          'too_many_requests',
          'Too many wrong keys; wait before trying again',
          undefined,
          {
            'retry-after': String(Math.ceil(wait / 1000)),
          },
        );
      }
      const body = signInSchema.safeParse(
        await readJsonBody(request, { maxWireBytes: 4096, maxJsonBytes: 4096 }),
      );
      if (!body.success)
        throw ApiError.fromZod('validation_failed', 'Send { "key": "…" }', body.error);
      const key = await hmacKey(policy.accessKey);
      if (!(await accessKeyMatches(key, body.data.key, policy.accessKey))) {
        limiter.recordFailure(client);
        throw new ApiError('unauthorized', 'That is not the access key');
      }
      limiter.reset(client);
      const { token, expiresAt } = await signSession(key, now(), policy.sessionTtlMs);
      return jsonResponse({ signedIn: true, expiresAt }, 200, {
        'set-cookie': cookie(request, token, Math.floor(policy.sessionTtlMs / 1000)),
      });
    },

    /** `DELETE /api/veo/session`: clears the cookie. */
    signOut(request: Request): Response {
      checkOrigin(request);
      return jsonResponse({ signedIn: false }, 200, { 'set-cookie': cookie(request, '', 0) });
    },
  };
}

export type AccessGuard = ReturnType<typeof createAccessGuard>;
