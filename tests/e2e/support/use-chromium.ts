import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { launchChromium } from './browser';

// Apart from browser.ts: the benchmark and the screenshots use that file outside vitest.
/**
 * Chromium for one test file: launched before its tests, closed after them, and every context a
 * test opened (through `newContext` or `track`) closed after that test.
 */
export function useChromium() {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  return {
    async newContext(options?: Parameters<Browser['newContext']>[0]): Promise<BrowserContext> {
      if (!browser) throw new Error('useChromium: the browser is not launched yet');
      const context = await browser.newContext(options);
      contexts.push(context);
      return context;
    },
    /** Closes `context` after the test too (a persistent context, say). */
    track(context: BrowserContext): BrowserContext {
      contexts.push(context);
      return context;
    },
  };
}
