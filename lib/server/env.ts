import 'server-only';
import * as z from 'zod';
import { BrandedError } from './brand';

/** Thrown at start when the environment names an impossible configuration. */
export class ConfigError extends BrandedError('ConfigError') {
  override readonly name = 'ConfigError';
}

const REST_VARIABLES = [
  'CLOUDFLARE_ACCOUNT_ID',
  'CLOUDFLARE_D1_DATABASE_ID',
  'CLOUDFLARE_D1_API_TOKEN',
] as const;

// `FOO=` in a .env file means "not set", not "set to the empty string".
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalText = z.preprocess(blankToUndefined, z.string().trim().optional());

const envSchema = z.object({
  CLOUDFLARE_ACCOUNT_ID: optionalText,
  CLOUDFLARE_D1_DATABASE_ID: optionalText,
  CLOUDFLARE_D1_API_TOKEN: optionalText,
  CLOUDFLARE_API_BASE_URL: z.preprocess(
    blankToUndefined,
    z.url({ protocol: /^https?$/ }).optional(),
  ),
  VEO_JOB_TTL_DAYS: z.preprocess(
    blankToUndefined,
    z.coerce.number().positive().max(3650).optional(),
  ),
  VEO_LOCAL_D1_PERSIST_DIR: optionalText,
});

export type StoreConfig =
  | {
      readonly driver: 'rest';
      readonly accountId: string;
      readonly databaseId: string;
      readonly apiToken: string;
      readonly baseUrl: string | undefined;
      readonly ttlMs: number | undefined;
    }
  | {
      readonly driver: 'local';
      /** Where Miniflare keeps the database; wrangler's own default when undefined. */
      readonly persistDir: string | undefined;
      readonly ttlMs: number | undefined;
    };

/**
 * Reads the store configuration from the environment. With none of the three CLOUDFLARE_*
 * variables set the app uses the embedded local D1; with all three, Cloudflare's D1 REST API;
 * anything in between is a mistake and fails with the names of the missing variables.
 */
export function readStoreConfig(
  env: Record<string, string | undefined> = process.env,
): StoreConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment: ${problems.join('; ')}`);
  }
  const vars = parsed.data;
  const ttlMs =
    vars.VEO_JOB_TTL_DAYS === undefined
      ? undefined
      : Math.round(vars.VEO_JOB_TTL_DAYS * 86_400_000);
  const missing = REST_VARIABLES.filter((name) => vars[name] === undefined);

  if (missing.length === REST_VARIABLES.length) {
    if (vars.CLOUDFLARE_API_BASE_URL !== undefined) {
      throw new ConfigError(
        `CLOUDFLARE_API_BASE_URL is set but ${REST_VARIABLES.join(', ')} are not: set all three to use the D1 REST API`,
      );
    }
    return { driver: 'local', persistDir: vars.VEO_LOCAL_D1_PERSIST_DIR, ttlMs };
  }
  if (missing.length > 0) {
    throw new ConfigError(
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing: set all of ${REST_VARIABLES.join(', ')} to use Cloudflare D1, or none of them to use the embedded local database`,
    );
  }
  return {
    driver: 'rest',
    accountId: vars.CLOUDFLARE_ACCOUNT_ID!,
    databaseId: vars.CLOUDFLARE_D1_DATABASE_ID!,
    apiToken: vars.CLOUDFLARE_D1_API_TOKEN!,
    baseUrl: vars.CLOUDFLARE_API_BASE_URL,
    ttlMs,
  };
}
