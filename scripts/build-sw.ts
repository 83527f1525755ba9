/**
 * Builds the service worker (sw/sw.ts) into public/sw.js with esbuild, injecting the precache
 * manifest: Next's content-hashed assets (`/_next/static/**`), the prerendered pages and the
 * public files, each with a revision so that a new build replaces exactly what changed.
 *
 *   tsx scripts/build-sw.ts          after `next build`: the full manifest
 *   tsx scripts/build-sw.ts --dev    for `next dev`: no precache (dev assets change constantly)
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

interface PrecacheEntry {
  url: string;
  revision: string | null;
}

/** The app's prerendered pages and files that make up the offline shell. */
const SHELL_PAGES = ['/veo', '/veo/sign-in', '/manifest.webmanifest'];

const root = process.cwd();
const dev = process.argv.includes('--dev');

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else out.push(full);
  }
  return out;
}

async function hashFile(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex')
    .slice(0, 16);
}

async function productionManifest(): Promise<PrecacheEntry[]> {
  const buildIdFile = path.join(root, '.next', 'BUILD_ID');
  if (!existsSync(buildIdFile))
    throw new Error('No .next/BUILD_ID: run `next build` before building the service worker');
  const buildId = (await readFile(buildIdFile, 'utf8')).trim();
  const entries: PrecacheEntry[] = [];
  // Next names these by content hash (or by build id): the URL is the revision.
  const staticDir = path.join(root, '.next', 'static');
  for (const file of await filesUnder(staticDir)) {
    if (file.endsWith('.map')) continue;
    entries.push({
      url: `/_next/static/${path.relative(staticDir, file).split(path.sep).join('/')}`,
      revision: null,
    });
  }
  for (const page of SHELL_PAGES) entries.push({ url: page, revision: buildId });
  const publicDir = path.join(root, 'public');
  for (const file of await filesUnder(publicDir)) {
    const url = `/${path.relative(publicDir, file).split(path.sep).join('/')}`;
    if (url.startsWith('/sw.js')) continue;
    if ((await stat(file)).size > 2 * 1024 * 1024) continue;
    entries.push({ url, revision: await hashFile(file) });
  }
  return entries;
}

async function main(): Promise<void> {
  const manifest = dev ? [] : await productionManifest();
  await build({
    entryPoints: [path.join(root, 'sw', 'sw.ts')],
    outfile: path.join(root, 'public', 'sw.js'),
    bundle: true,
    format: 'iife',
    target: ['chrome110', 'safari16', 'firefox115'],
    minify: !dev,
    sourcemap: dev ? 'inline' : false,
    tsconfig: path.join(root, 'sw', 'tsconfig.json'),
    // The page's components, rendered to HTML by the worker (sw/job-list-html.d.ts).
    jsx: 'automatic',
    plugins: [
      {
        name: 'veo-job-list-html',
        setup(esbuild) {
          esbuild.onResolve({ filter: /^veo:job-list-html$/ }, () => ({
            path: path.join(root, 'components', 'veo', 'job-list-html.tsx'),
          }));
        },
      },
    ],
    define: {
      'self.__WB_MANIFEST': JSON.stringify(manifest),
      'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production'),
    },
    logLevel: 'warning',
  });
  const size = (await stat(path.join(root, 'public', 'sw.js'))).size;
  console.log(`public/sw.js: ${(size / 1024).toFixed(1)} KiB, ${manifest.length} precached URLs`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
