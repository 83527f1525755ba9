import 'server-only';
import { createAccessGuard, readAccessPolicy, type AccessGuard } from './auth/access';
import { readStoreConfig } from './env';

const holder = globalThis as typeof globalThis & { __veoAccessGuard?: AccessGuard | undefined };

/** The process's access guard, from the environment (read once, at first use). */
export function getAccessGuard(): Promise<AccessGuard> {
  try {
    holder.__veoAccessGuard ??= createAccessGuard(readAccessPolicy(readStoreConfig().driver));
    return Promise.resolve(holder.__veoAccessGuard);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
