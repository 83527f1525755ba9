import { randomBytes } from 'node:crypto';
import { PEER_HEADER, PEER_TOKEN_GLOBAL } from '@/lib/server/auth/client-address';

/**
 * The header scripts/serve.js adds to every request, for route-level tests: the connection's
 * peer address after this process's token (made here on first use, as the server does at start).
 */
export function fromPeer(address: string): Record<string, string> {
  const holder = globalThis as Record<string, unknown>;
  if (typeof holder[PEER_TOKEN_GLOBAL] !== 'string') {
    holder[PEER_TOKEN_GLOBAL] = randomBytes(24).toString('hex');
  }
  return { [PEER_HEADER]: `${String(holder[PEER_TOKEN_GLOBAL])} ${address}` };
}
