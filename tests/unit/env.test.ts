import { describe, expect, it } from 'vitest';
import { ConfigError, readStoreConfig } from '@/lib/server/env';

const REST = {
  CLOUDFLARE_ACCOUNT_ID: 'acct',
  CLOUDFLARE_D1_DATABASE_ID: 'db',
  CLOUDFLARE_D1_API_TOKEN: 'secret-token',
};

describe('store configuration from the environment', () => {
  it('uses the embedded local database when no Cloudflare variable is set', () => {
    expect(readStoreConfig({})).toEqual({
      driver: 'local',
      persistDir: undefined,
      ttlMs: undefined,
    });
  });

  it('treats blank values as unset, as a .env file with FOO= means', () => {
    expect(
      readStoreConfig({ CLOUDFLARE_ACCOUNT_ID: '', CLOUDFLARE_D1_API_TOKEN: '  ' }).driver,
    ).toBe('local');
  });

  it('uses the REST API when all three variables are set', () => {
    expect(
      readStoreConfig({ ...REST, CLOUDFLARE_API_BASE_URL: 'http://127.0.0.1:8787/client/v4' }),
    ).toEqual({
      driver: 'rest',
      accountId: 'acct',
      databaseId: 'db',
      apiToken: 'secret-token',
      baseUrl: 'http://127.0.0.1:8787/client/v4',
      ttlMs: undefined,
    });
  });

  it('names the missing variable of a partial configuration', () => {
    const { CLOUDFLARE_D1_API_TOKEN: _omitted, ...partial } = REST;
    expect(() => readStoreConfig(partial)).toThrow(ConfigError);
    expect(() => readStoreConfig(partial)).toThrow(/^CLOUDFLARE_D1_API_TOKEN is missing/);
    expect(() => readStoreConfig({ CLOUDFLARE_ACCOUNT_ID: 'a' })).toThrow(
      /CLOUDFLARE_D1_DATABASE_ID, CLOUDFLARE_D1_API_TOKEN are missing/,
    );
  });

  it('refuses a base URL without the credentials to use it, and a malformed one', () => {
    expect(() => readStoreConfig({ CLOUDFLARE_API_BASE_URL: 'http://localhost:1' })).toThrow(
      /CLOUDFLARE_API_BASE_URL is set/,
    );
    expect(() => readStoreConfig({ ...REST, CLOUDFLARE_API_BASE_URL: 'not a url' })).toThrow(
      /CLOUDFLARE_API_BASE_URL/,
    );
  });

  it('reads the job TTL in days and refuses nonsense', () => {
    expect(readStoreConfig({ VEO_JOB_TTL_DAYS: '7' }).ttlMs).toBe(7 * 86_400_000);
    expect(() => readStoreConfig({ VEO_JOB_TTL_DAYS: 'soon' })).toThrow(/VEO_JOB_TTL_DAYS/);
    expect(() => readStoreConfig({ VEO_JOB_TTL_DAYS: '-1' })).toThrow(/VEO_JOB_TTL_DAYS/);
  });

  it('never puts the token in an error message', () => {
    try {
      readStoreConfig({ CLOUDFLARE_D1_API_TOKEN: 'secret-token' });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain('secret-token');
    }
  });
});
