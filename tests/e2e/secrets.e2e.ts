import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { SECRET_SENTINELS } from './support/sentinels';

/** The D1 token and the access key stay on the server. */
describe('secrets', () => {
  async function files(dir: string): Promise<string[]> {
    const out: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) out.push(...(await files(full)));
      else out.push(full);
    }
    return out;
  }

  it('appear nowhere in the client bundle or the service worker of a build made with them set', async () => {
    const shipped = [...(await files(path.join('.next', 'static'))), path.join('public', 'sw.js')];
    expect(shipped.length).toBeGreaterThan(5);
    const leaks: string[] = [];
    for (const file of shipped) {
      const text = await readFile(file, 'latin1');
      for (const [name, value] of Object.entries(SECRET_SENTINELS)) {
        if (text.includes(value)) leaks.push(`${name} in ${file}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it('send security headers with pages and API answers', async () => {
    const baseUrl = inject('baseUrl');
    for (const url of [`${baseUrl}/veo`, `${baseUrl}/api/veo/jobs`, `${baseUrl}/sw.js`]) {
      const response = await fetch(url);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, url).toContain("default-src 'self'");
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).toContain("worker-src 'self'");
      expect(csp, url).not.toContain('unsafe-eval');
      expect(response.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), url).toBe('same-origin');
      await response.arrayBuffer();
    }
  });
});
