import 'server-only';
import {
  createAccessGuard,
  readAccessPolicy,
  readClientAddressConfig,
  type AccessGuard,
} from './auth/access';
import { readStoreConfig } from './env';
import { getSessionStore } from './store-instance';

const holder = globalThis as typeof globalThis & {
  __veoAccessGuard?: Promise<AccessGuard> | undefined;
};

/** The process's access guard, from the environment (read once, at first use). */
export function getAccessGuard(): Promise<AccessGuard> {
  holder.__veoAccessGuard ??= openAccessGuard().catch((error: unknown) => {
    holder.__veoAccessGuard = undefined;
    throw error;
  });
  return holder.__veoAccessGuard;
}

async function openAccessGuard(): Promise<AccessGuard> {
  const policy = readAccessPolicy(readStoreConfig().driver);
  return createAccessGuard(policy, {
    clientAddress: readClientAddressConfig(),
    ...(policy.mode === 'key' ? { sessions: await getSessionStore() } : {}),
  });
}
