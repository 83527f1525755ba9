import 'server-only';
import * as z from 'zod';
import { ApiError, jsonResponse } from '../api-error';
import { ConfigError } from '../env';
import { readJsonBody } from '../request-body';
import {
  clientAddress,
  isLoopbackAddress,
  isLoopbackHost,
  peerAddress,
  type ClientAddressConfig,
} from './client-address';
import { createSignInLimiter } from './rate-limit';
import type { SessionStore } from './session-store';
import {
  accessKeyId,
  accessKeyMatches,
  randomId,
  signToken,
  tokenKey,
  verifyDeviceToken,
  verifySessionToken,
} from './session-token';

export const SESSION_COOKIE = 'veo_session';
/** Marks a browser that signed in before: its sign-in attempts are counted on their own. */
export const DEVICE_COOKIE = 'veo_device';
const DEVICE_COOKIE_SECONDS = 400 * 86_400; // the longest Max-Age browsers keep
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
  VEO_TRUSTED_PROXY_HOPS: z.preprocess(blank, z.coerce.number().int().min(0).max(10).optional()),
  VEO_CLIENT_IP_HEADER: z.preprocess(
    blank,
    z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'must be a header name')
      .transform((name) => name.toLowerCase())
      .optional(),
  ),
});

function parseAccessEnv(env: Record<string, string | undefined>) {
  const parsed = accessEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      `Invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** Reads the access policy; `driver` is the job store's (see readStoreConfig). */
export function readAccessPolicy(
  driver: 'local' | 'rest',
  env: Record<string, string | undefined> = process.env,
): AccessPolicy {
  const vars = parseAccessEnv(env);
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

/**
 * How to tell clients apart for sign-in limits: the connection's peer by default;
 * `VEO_TRUSTED_PROXY_HOPS=N` behind N proxies that append to X-Forwarded-For; or
 * `VEO_CLIENT_IP_HEADER` where the platform sets a header clients cannot (docs/security.md).
 */
export function readClientAddressConfig(
  env: Record<string, string | undefined> = process.env,
): ClientAddressConfig {
  const vars = parseAccessEnv(env);
  return {
    trustedProxyHops: vars.VEO_TRUSTED_PROXY_HOPS ?? 0,
    clientIpHeader: vars.VEO_CLIENT_IP_HEADER,
  };
}

/**
 * This machine: the connection comes from a loopback address (as scripts/serve.js saw it) and
 * names a loopback host. The URL says neither: Next builds it from the Host header or `-H`.
 */
function isFromThisMachine(request: Request): boolean {
  const peer = peerAddress(request);
  return (
    peer !== undefined && isLoopbackAddress(peer) && isLoopbackHost(request.headers.get('host'))
  );
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
  /** Where sessions live; required with an access key. */
  readonly sessions?: SessionStore;
  readonly clientAddress?: ClientAddressConfig;
  /** Sign-in attempts that may fail per client (or per known device) in `failureWindowMs`. */
  readonly failureLimit?: number;
  /** Failed sign-ins of all unknown clients together in `failureWindowMs`. */
  readonly globalFailureLimit?: number;
  readonly failureWindowMs?: number;
  /**
   * How long this instance trusts a session it has checked in D1 (ms). Sign-out on this
   * instance takes effect at once; on another instance of a serverless deployment, within this.
   */
  readonly sessionCheckMs?: number;
}

export const DEFAULT_SESSION_CHECK_MS = 30_000;

/**
 * Enforces the access policy on the jobs API and runs sign-in and sign-out. Every refusal is a
 * JSON error: 401 without a valid session, 403 for a cross-site write, 429 after too many failed
 * sign-ins, 503 when the server is not configured to be reachable safely.
 */
export function createAccessGuard(policy: AccessPolicy, options: AccessGuardOptions = {}) {
  const now = options.now ?? Date.now;
  const addressConfig = options.clientAddress ?? { trustedProxyHops: 0, clientIpHeader: undefined };
  const sessionCheckMs = options.sessionCheckMs ?? DEFAULT_SESSION_CHECK_MS;
  const limiter = createSignInLimiter({
    perBucket: options.failureLimit ?? 5,
    global: options.globalFailureLimit ?? 50,
    windowMs: options.failureWindowMs ?? 15 * 60_000,
    now,
  });
  const key = policy.mode === 'key' ? tokenKey(policy.accessKey) : undefined;
  if (key !== undefined && options.sessions === undefined) {
    throw new Error('createAccessGuard: an access key needs a session store');
  }
  const sessions = options.sessions;
  /** Session id → until when this instance trusts it without asking D1 again (ms). */
  const checked = new Map<string, number>();

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

  /** The caller's session id if its cookie is genuine, unexpired and not signed out. */
  async function activeSession(request: Request): Promise<string | null> {
    if (key === undefined || sessions === undefined) return null;
    const token = readCookie(request, SESSION_COOKIE);
    const payload = token === undefined ? null : verifySessionToken(key, token, now());
    if (payload === null) return null;
    const until = checked.get(payload.sid);
    if (until !== undefined && until > now()) return payload.sid;
    if (!(await sessions.isActive(payload.sid, now()))) {
      checked.delete(payload.sid);
      return null;
    }
    if (checked.size >= 10_000) checked.clear(); // bounded memory; a re-check costs one row
    checked.set(payload.sid, Math.min(now() + sessionCheckMs, payload.exp));
    return payload.sid;
  }

  function cookie(request: Request, name: string, value: string, maxAgeSeconds: number): string {
    const secure =
      isLoopbackHost(request.headers.get('host')) && new URL(request.url).protocol === 'http:'
        ? ''
        : '; Secure';
    const path = name === DEVICE_COOKIE ? '/api/veo/session' : '/';
    return `${name}=${value}; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
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
          if (isFromThisMachine(request)) return;
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
          if ((await activeSession(request)) !== null) return;
          throw new ApiError('unauthorized', 'Sign in to use your job history');
      }
    },

    /**
     * `GET /api/veo/session`: whether a session is needed and present, and, to a signed-in
     * caller, which access key it is under (see accessKeyId).
     */
    async status(request: Request): Promise<Response> {
      const signedIn = (await activeSession(request)) !== null;
      return jsonResponse({
        required: policy.mode === 'key',
        signedIn,
        mode: policy.mode,
        ...(signedIn && key !== undefined ? { keyId: accessKeyId(key) } : {}),
      });
    },

    /** `POST /api/veo/session` with `{ key }`: sets the session cookie. */
    async signIn(request: Request): Promise<Response> {
      checkOrigin(request);
      if (key === undefined || sessions === undefined || policy.mode !== 'key') {
        throw new ApiError(
          'invalid_request',
          'This server has no access key: there is nothing to sign in to',
        );
      }
      // Counted now, before anything is awaited: concurrent guesses get no extra verdicts.
      const deviceToken = readCookie(request, DEVICE_COOKIE);
      const device = deviceToken === undefined ? null : verifyDeviceToken(key, deviceToken);
      const attempt = limiter.begin(
        device ? `device:${device.dev}` : `client:${clientAddress(request, addressConfig)}`,
        { countGlobally: device === null },
      );
      if (!attempt.ok) {
        throw new ApiError(
          'too_many_requests',
          'Too many wrong keys; wait before trying again',
          undefined,
          { 'retry-after': String(Math.ceil(attempt.retryAfterMs / 1000)) },
        );
      }
      const body = signInSchema.safeParse(
        await readJsonBody(request, { maxWireBytes: 4096, maxJsonBytes: 4096 }),
      );
      if (!body.success)
        throw ApiError.fromZod('validation_failed', 'Send { "key": "…" }', body.error);
      if (!accessKeyMatches(key, body.data.key, policy.accessKey)) {
        throw new ApiError('unauthorized', 'That is not the access key');
      }
      attempt.succeeded();
      const issuedAt = now();
      const session = {
        v: 2,
        sid: randomId(),
        iat: issuedAt,
        exp: issuedAt + policy.sessionTtlMs,
      } as const;
      await sessions.create(session.sid, session.iat, session.exp);
      const response = jsonResponse({
        signedIn: true,
        expiresAt: session.exp,
        keyId: accessKeyId(key),
      });
      const sessionCookie = cookie(
        request,
        SESSION_COOKIE,
        signToken(key, 'session', session),
        Math.floor(policy.sessionTtlMs / 1000),
      );
      const deviceCookie = cookie(
        request,
        DEVICE_COOKIE,
        signToken(key, 'device', { v: 2, dev: device?.dev ?? randomId(), iat: issuedAt }),
        DEVICE_COOKIE_SECONDS,
      );
      response.headers.append('set-cookie', sessionCookie);
      response.headers.append('set-cookie', deviceCookie);
      return response;
    },

    /**
     * `DELETE /api/veo/session[?everywhere=1]`: ends this session on the server and clears its
     * cookie; with `everywhere`, ends every session (it needs a session itself).
     */
    async signOut(request: Request): Promise<Response> {
      checkOrigin(request);
      const everywhere = new URL(request.url).searchParams.get('everywhere');
      const sid = await activeSession(request);
      let ended = 0;
      if (everywhere === '1' || everywhere === 'true') {
        if (sid === null || sessions === undefined) {
          throw new ApiError('unauthorized', 'Sign in to sign out everywhere');
        }
        ended = await sessions.revokeAll(now());
        checked.clear();
      } else if (sid !== null && sessions !== undefined) {
        await sessions.revoke(sid, now());
        checked.delete(sid);
        ended = 1;
      }
      return jsonResponse({ signedIn: false, ended }, 200, {
        'set-cookie': cookie(request, SESSION_COOKIE, '', 0),
      });
    },
  };
}

export type AccessGuard = ReturnType<typeof createAccessGuard>;
