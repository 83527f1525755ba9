/**
 * Builds the Workbox recipe (./sw.ts and ./page.ts) with esbuild into a temporary folder, as
 * scripts/build-sw.ts builds the project's worker: bundled from the installed workbox-* packages,
 * minified, `process.env.NODE_ENV` set to production, and the precache manifest injected where
 * the worker says `self.__WB_MANIFEST` (what workbox-build's injectManifest does).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { StaticFile } from '../proxy';

const HERE = path.join(process.cwd(), 'scripts', 'bench', 'recipe');

const PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Workbox recipe</title></head>
<body><h1>Jobs</h1><ul id="jobs"></ul><script src="/app.js"></script></body></html>
`;

const revision = (body: string | Buffer) =>
  createHash('sha256').update(body).digest('hex').slice(0, 16);

async function bundle(entry: string, outfile: string, define: Record<string, string> = {}) {
  await build({
    entryPoints: [path.join(HERE, entry)],
    outfile,
    bundle: true,
    format: 'iife',
    target: ['chrome110'],
    minify: true,
    define: { 'process.env.NODE_ENV': JSON.stringify('production'), ...define },
    logLevel: 'warning',
  });
  return readFile(outfile);
}

/** The recipe's files by path: `/` (the page), `/app.js` and `/sw.js`. */
export async function buildRecipe(): Promise<Map<string, StaticFile>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'veo-bench-recipe-'));
  try {
    await writeFile(path.join(dir, 'index.html'), PAGE_HTML);
    const app = await bundle('page.ts', path.join(dir, 'app.js'));
    const manifest = [
      { url: '/', revision: revision(PAGE_HTML) },
      { url: '/app.js', revision: revision(app) },
    ];
    const sw = await bundle('sw.ts', path.join(dir, 'sw.js'), {
      'self.__WB_MANIFEST': JSON.stringify(manifest),
    });
    if (sw.includes('__WB_MANIFEST'))
      throw new Error(
        'the recipe worker still names self.__WB_MANIFEST: the manifest was not injected',
      );
    return new Map<string, StaticFile>([
      ['/', { type: 'text/html; charset=utf-8', body: PAGE_HTML }],
      ['/app.js', { type: 'text/javascript', body: app }],
      ['/sw.js', { type: 'text/javascript', body: sw }],
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
