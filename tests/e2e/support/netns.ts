import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A second host for network tests: a network namespace joined to this machine by a veth pair,
 * on a private /30 of its own (this machine .1, the namespace .2). Traffic stays between the two.
 */
export interface TestHost {
  /** This machine's address as the namespace sees it. */
  readonly hostAddress: string;
  /** Runs a fetch from inside the namespace; resolves with its status and body, or the error code. */
  fetchFrom(
    url: string,
    init?: { method?: string; headers?: Record<string, string>; body?: string },
  ): Promise<{ status: number; body: string } | { error: string }>;
  remove(): Promise<void>;
}

/** Why network namespaces cannot be made here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'creating a network namespace needs root';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return 'the ip command (iproute2) with netns support is missing';
  }
  return null;
}

const FETCH_SCRIPT = `
const [url, init] = JSON.parse(process.argv[1]);
fetch(url, { ...init, signal: AbortSignal.timeout(10000) })
  .then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })))
  .catch((e) => console.log(JSON.stringify({ error: e.cause?.code ?? e.name })));
`;

export async function createTestHost(): Promise<TestHost> {
  const id = `${process.pid % 10_000}`;
  const ns = `veo-e2e-${id}`;
  const hostSide = `veoh${id}`;
  const nsSide = `veon${id}`;
  // 10.231.X.Y/30, chosen from the process id so that parallel runs do not collide.
  const block = (process.pid % 16_000) * 4;
  const prefix = `10.231.${Math.floor(block / 256)}`;
  const hostAddress = `${prefix}.${(block % 256) + 1}`;
  const nsAddress = `${prefix}.${(block % 256) + 2}`;
  const ip = (...args: string[]) => run('ip', args);

  await ip('netns', 'add', ns);
  try {
    await ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide);
    await ip('link', 'set', nsSide, 'netns', ns);
    await ip('addr', 'add', `${hostAddress}/30`, 'dev', hostSide);
    await ip('link', 'set', hostSide, 'up');
    await ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${nsAddress}/30`, 'dev', nsSide);
    await ip('netns', 'exec', ns, 'ip', 'link', 'set', nsSide, 'up');
    await ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  } catch (error) {
    await ip('link', 'del', hostSide).catch(() => undefined);
    await ip('netns', 'del', ns).catch(() => undefined);
    throw error;
  }

  return {
    hostAddress,
    async fetchFrom(url, init = {}) {
      const { stdout } = await run('ip', [
        'netns',
        'exec',
        ns,
        process.execPath,
        '-e',
        FETCH_SCRIPT,
        JSON.stringify([url, init]),
      ]);
      return JSON.parse(stdout) as { status: number; body: string } | { error: string };
    },
    async remove() {
      // Deleting the namespace deletes its end of the pair, and with it this end.
      await ip('netns', 'del', ns).catch(() => undefined);
      await ip('link', 'del', hostSide).catch(() => undefined);
    },
  };
}
