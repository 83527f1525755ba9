import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface AppServer {
  readonly baseUrl: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no free port')),
      );
    });
  });
}

/**
 * Starts the production build (`npm start`'s scripts/serve.js; run `npm run build` first) on a
 * free port, on a fresh embedded D1 in a temporary folder. Used by the end-to-end tests, the
 * screenshots and the browser benchmark. With `port` and `dataDir`, starts it again where a
 * stopped one was, on the same database (which `stop` then leaves in place).
 */
export async function startAppServer(
  env: Record<string, string> = {},
  { host, port: fixedPort, dataDir }: { host?: string; port?: number; dataDir?: string } = {},
): Promise<AppServer> {
  const dir = dataDir ?? (await mkdtemp(path.join(tmpdir(), 'veo-app-')));
  const port = fixedPort ?? (await freePort());
  const child = spawn(
    process.execPath,
    [path.join('scripts', 'serve.js'), '-p', String(port), ...(host ? ['-H', host] : [])],
    {
      env: { ...process.env, ...env, VEO_LOCAL_D1_PERSIST_DIR: dir, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // What the server says, the last 64 KB of it: shown when it starts badly, exits while in use,
  // or warned of something while the tests ran (a failing e2e run then says what the server saw).
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-65_536));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const baseUrl = `http://127.0.0.1:${port}`;
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping)
      console.error(
        `[app-server] the server at ${baseUrl} exited (${signal ?? code}) while in use; it said:\n${output}`,
      );
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited:\n${output}`);
    try {
      if ((await fetch(`${baseUrl}/api/veo/session`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not answer within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    baseUrl,
    async stop() {
      stopping = true;
      const warnings = [...new Set(output.split('\n').filter((l) => l.startsWith('[veo-sync]')))];
      if (warnings.length > 0)
        console.error(`[app-server] ${baseUrl} said:\n${warnings.slice(-40).join('\n')}`);
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      if (!dataDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
