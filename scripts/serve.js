// @ts-check
/**
 * The app's server: what `npm start` (and `npm run dev`, with --dev) runs. It is Next.js's own
 * request handler behind a Node HTTP server that this project controls, for two reasons:
 *
 * 1. Where it listens. Without VEO_ACCESS_KEY the embedded database belongs to whoever runs the
 *    server, so it listens on this machine's loopback addresses only, and says so. An access key
 *    (or VEO_ALLOW_ANONYMOUS=1, on purpose) listens on every interface; `-H`/`HOST` choose.
 * 2. Who is calling. Route handlers get a Request without the socket, and Next builds its URL
 *    from the Host header, so they cannot tell a neighbour on the Wi-Fi from this machine. This
 *    server writes the peer address into the `x-veo-peer` header after a token only this process
 *    knows (lib/server/auth/client-address.ts reads it); a client cannot forge it.
 *
 * Usage: node scripts/serve.js [--dev] [-p PORT] [-H HOST]   (PORT and HOST work as variables)
 */
const { randomBytes } = require('node:crypto');
const http = require('node:http');
const path = require('node:path');
const { loadEnvConfig } = require('@next/env');

/** Keep equal to PEER_HEADER and PEER_TOKEN_GLOBAL in lib/server/auth/client-address.ts. */
const PEER_HEADER = 'x-veo-peer';
const PEER_TOKEN_GLOBAL = '__veoPeerToken';
const LOOPBACK_HOSTS = ['127.0.0.1', '::1'];

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {{ dev: boolean, port: string | undefined, host: string | undefined }} */
  const args = { dev: false, port: undefined, host: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--dev') args.dev = true;
    else if (arg === '-p' || arg === '--port') args.port = argv[++i];
    else if (arg === '-H' || arg === '--hostname') args.host = argv[++i];
    else throw new Error(`Unknown argument ${arg}. Usage: serve.js [--dev] [-p PORT] [-H HOST]`);
  }
  return args;
}

/** @param {string | undefined} value */
const isSet = (value) => value !== undefined && value.trim() !== '';

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const dir = path.join(__dirname, '..');
  // The same .env files `next start` reads, before deciding where to listen.
  loadEnvConfig(dir, args.dev);
  const port = Number(args.port ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port ${port}`);
  const keyed = isSet(process.env.VEO_ACCESS_KEY);
  const anonymous = ['1', 'true'].includes(process.env.VEO_ALLOW_ANONYMOUS?.trim() ?? '');
  const explicitHost = args.host ?? process.env.HOST;
  const hosts = isSet(explicitHost)
    ? [/** @type {string} */ (explicitHost)]
    : keyed || anonymous
      ? ['::']
      : LOOPBACK_HOSTS;

  const token = randomBytes(24).toString('hex');
  /** @type {Record<string, unknown>} */ (globalThis)[PEER_TOKEN_GLOBAL] = token;

  const next = require('next');
  const app = next({ dev: args.dev, dir, port });
  await app.prepare();
  const handle = app.getRequestHandler();
  const upgrade = args.dev ? app.getUpgradeHandler() : undefined;

  /** @type {http.RequestListener} */
  const listener = (req, res) => {
    // Overwrites whatever a client sent under this name.
    req.headers[PEER_HEADER] = `${token} ${req.socket.remoteAddress ?? ''}`;
    handle(req, res).catch((/** @type {unknown} */ error) => {
      console.error('[veo-sync] request failed', error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('Internal Server Error');
    });
  };

  const servers = [];
  for (const host of hosts) {
    const server = http.createServer(listener);
    if (upgrade) server.on('upgrade', (req, socket, head) => void upgrade(req, socket, head));
    try {
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve(undefined));
      });
      servers.push(server);
    } catch (error) {
      // A machine without IPv6 has no ::1 (or ::): the other address still serves.
      const code = /** @type {{ code?: string }} */ (error).code;
      if (hosts.length > 1 && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) continue;
      if (host === '::' && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) {
        hosts.push('0.0.0.0');
        continue;
      }
      throw error;
    }
  }
  if (servers.length === 0) throw new Error(`Could not listen on ${hosts.join(', ')}`);

  const address = servers[0]?.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shown = isSet(explicitHost) ? explicitHost : 'localhost';
  console.log(`veo-sync${args.dev ? ' (development)' : ''}: http://${shown}:${actualPort}`);
  if (!keyed && !anonymous) {
    console.log(
      isSet(explicitHost)
        ? `  No VEO_ACCESS_KEY: listening on ${explicitHost}, but the jobs API still answers only this machine.`
        : '  No VEO_ACCESS_KEY: listening on this machine only (127.0.0.1, ::1).',
    );
    console.log(
      '  To use it from your other devices, set VEO_ACCESS_KEY (12+ characters) and serve it over HTTPS: see docs/security.md.',
    );
  } else if (keyed) {
    console.log('  Access key set: listening on every interface; people sign in at /veo/sign-in.');
  } else {
    console.log(
      '  VEO_ALLOW_ANONYMOUS=1: anyone who can reach this server can read and change the jobs.',
    );
  }

  const stop = () => {
    for (const server of servers) server.close();
    // Open keep-alive connections and the embedded database's workerd end with the process.
    setTimeout(() => process.exit(0), 500).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
