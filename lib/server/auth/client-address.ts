import 'server-only';
import { timingSafeEqual } from 'node:crypto';

/**
 * Who is on the other end of a request. Next.js hands route handlers a `Request` without the
 * socket, and builds `request.url` from the Host header or the `-H` value — never from the peer —
 * so neither says where a request came from. `scripts/serve.js` (what `npm start` runs) knows
 * the peer: it writes it into {@link PEER_HEADER} on every request, after a token that only this
 * process knows ({@link PEER_TOKEN_GLOBAL}), so a client cannot forge it. Without that server
 * (`next start`, a serverless host) the peer is unknown, and what needs it fails closed.
 */
export const PEER_HEADER = 'x-veo-peer';
/** The globalThis property holding this process's token. Keep equal in scripts/serve.js. */
export const PEER_TOKEN_GLOBAL = '__veoPeerToken';

/** The connection's peer address as `scripts/serve.js` saw it, or undefined when unknown. */
export function peerAddress(request: Request): string | undefined {
  const token = (globalThis as Record<string, unknown>)[PEER_TOKEN_GLOBAL];
  const value = request.headers.get(PEER_HEADER);
  if (typeof token !== 'string' || token === '' || value === null) return undefined;
  const space = value.indexOf(' ');
  if (space < 0) return undefined;
  const given = Buffer.from(value.slice(0, space));
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return value.slice(space + 1).trim() || undefined;
}

/** Whether an IP address is this machine: 127.0.0.0/8, ::1, or 127.x mapped into IPv6. */
export function isLoopbackAddress(address: string): boolean {
  const ip = unmapIPv4(address.toLowerCase());
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip)) return true;
  return ip === '::1' || ip === '0:0:0:0:0:0:0:1';
}

/**
 * Whether the Host header names this machine: `localhost`, a 127.x address or `[::1]`, with any
 * port. A page on another site whose name was made to resolve to 127.0.0.1 (DNS rebinding) sends
 * its own name here, so this is what keeps it out.
 */
export function isLoopbackHost(host: string | null): boolean {
  if (host === null) return false;
  const name = host
    .trim()
    .toLowerCase()
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || isLoopbackAddress(name);
}

/** How to find the client's address: from the socket, or from what a trusted proxy wrote. */
export interface ClientAddressConfig {
  /**
   * Proxies in front of this server that append to X-Forwarded-For: the client is the entry
   * this many places from the right. 0: the connection's peer is the client.
   */
  readonly trustedProxyHops: number;
  /** A header the platform sets and clients cannot (`x-real-ip` on Vercel, `cf-connecting-ip` on Workers). */
  readonly clientIpHeader: string | undefined;
}

/**
 * The address a request is counted against (sign-in limits), normalised: IPv4 as is, IPv4 mapped
 * into IPv6 as IPv4, IPv6 as its /64 (one subscriber usually holds a whole /64, so counting single
 * IPv6 addresses would give each of them 2^64 tries). 'unknown' when nothing trustworthy says.
 */
export function clientAddress(request: Request, config: ClientAddressConfig): string {
  let address: string | undefined;
  if (config.clientIpHeader !== undefined) {
    address = request.headers.get(config.clientIpHeader)?.split(',')[0]?.trim();
  } else if (config.trustedProxyHops > 0) {
    const hops = (request.headers.get('x-forwarded-for') ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    // Each trusted proxy appends the address it saw; whatever is left of them the client wrote.
    address = hops[Math.max(0, hops.length - config.trustedProxyHops)] ?? peerAddress(request);
  } else {
    address = peerAddress(request);
  }
  return address === undefined || address === '' ? 'unknown' : normaliseAddress(address);
}

/** IPv4 unchanged, `::ffff:a.b.c.d` as `a.b.c.d`, IPv6 as `xxxx:xxxx:xxxx:xxxx::/64`. */
export function normaliseAddress(address: string): string {
  const ip = unmapIPv4(address.trim().toLowerCase().replace(/%.*$/, ''));
  if (!ip.includes(':')) return ip;
  const groups = expandIPv6(ip);
  if (groups === null) return ip;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

function unmapIPv4(ip: string): string {
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(ip);
  return mapped?.[1] ?? ip;
}

/** The eight 16-bit groups of an IPv6 address, or null if it is not one. */
function expandIPv6(ip: string): string[] | null {
  const halves = ip.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  return groups.every((g) => /^[0-9a-f]{1,4}$/.test(g)) ? groups : null;
}
