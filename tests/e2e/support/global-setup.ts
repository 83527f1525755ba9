import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { startAppServer } from './app-server';
import { SECRET_SENTINELS } from './sentinels';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

/**
 * Builds the app (with sentinel secrets in the environment, which tests/e2e/secrets.e2e.ts then
 * looks for in what the browser gets), and starts one production server on a fresh embedded D1
 * for the whole end-to-end run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.VEO_E2E_SKIP_BUILD !== '1') {
    execFileSync('npm', ['run', 'build'], {
      stdio: 'inherit',
      env: { ...process.env, ...SECRET_SENTINELS },
    });
  }
  const server = await startAppServer();
  project.provide('baseUrl', server.baseUrl);
  return () => server.stop();
}
