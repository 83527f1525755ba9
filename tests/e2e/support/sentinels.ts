/**
 * Secret values the end-to-end build is made with, so that a test can prove none of them reaches
 * the browser (the client bundle or the service worker). They are never used at run time.
 */
export const SECRET_SENTINELS = {
  CLOUDFLARE_ACCOUNT_ID: 'sentinel-account-4b1d9c0e',
  CLOUDFLARE_D1_DATABASE_ID: 'sentinel-database-77aa21f3',
  CLOUDFLARE_D1_API_TOKEN: 'sentinel-d1-token-Zq8LmN3pX7vK2wR9',
  VEO_ACCESS_KEY: 'sentinel-access-key-Hc5Jt1Yb6Ue4',
} as const;
