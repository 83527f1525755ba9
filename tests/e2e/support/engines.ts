import { spawn, type ChildProcess } from 'node:child_process';
import type { Browser as PlaywrightBrowser } from 'playwright-core';
import type { Browser as PuppeteerBrowser } from 'puppeteer-core';
import { freePort } from './app-server';
import { launchChromium } from './browser';

/**
 * One small surface over the three browser engines the app must work in, each driven the way it
 * can be from here: Chromium through Playwright (CDP), Firefox ESR through WebDriver BiDi
 * (puppeteer-core), WebKitGTK through classic W3C WebDriver (`WebKitWebDriver` and its
 * `MiniBrowser`, under Xvfb). Every engine is Debian's; no tool downloads a browser.
 */
export type EngineName = 'chromium' | 'firefox' | 'webkit';

export interface EngineTab {
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  /**
   * Runs `fn(...args)` in the page and resolves with its (JSON) result. `fn` travels as source:
   * it may use only its arguments and the page's globals.
   */
  evaluate<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, ...args: A): Promise<R>;
}

export interface EngineSession {
  readonly engine: EngineName;
  /** The engine's own version string. */
  readonly version: string;
  /** A new tab in the same browsing session (same storage, same service worker). */
  newTab(): Promise<EngineTab>;
  close(): Promise<void>;
}

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
export const WEBKIT_DRIVER_PATH = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
export const MINIBROWSER_PATH =
  process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

export function launchEngine(engine: EngineName): Promise<EngineSession> {
  switch (engine) {
    case 'chromium':
      return launchPlaywrightChromium();
    case 'firefox':
      return launchFirefox();
    case 'webkit':
      return launchWebKit();
  }
}

/** `(fn)(...args)` as an expression, for engines that evaluate source. */
function callExpression(fn: (...args: never[]) => unknown, args: readonly unknown[]): string {
  return `(${fn.toString()})(...${JSON.stringify(args)})`;
}

/** What Playwright's and Puppeteer's pages have alike: enough for an {@link EngineTab}. */
interface ScriptablePage {
  goto(url: string): Promise<unknown>;
  reload(): Promise<unknown>;
  evaluate(expression: string): Promise<unknown>;
}

function pageTab(page: ScriptablePage): EngineTab {
  return {
    async goto(url) {
      await page.goto(url);
    },
    async reload() {
      await page.reload();
    },
    evaluate: async (fn, ...args) => (await page.evaluate(callExpression(fn, args))) as never,
  };
}

// --- Chromium ----------------------------------------------------------------------------------

async function launchPlaywrightChromium(): Promise<EngineSession> {
  const browser: PlaywrightBrowser = await launchChromium();
  const context = await browser.newContext();
  return {
    engine: 'chromium',
    version: browser.version(),
    newTab: async () => pageTab(await context.newPage()),
    close: () => browser.close(),
  };
}

// --- Firefox -----------------------------------------------------------------------------------

async function launchFirefox(): Promise<EngineSession> {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser: PuppeteerBrowser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    // Nothing from the network but the app: no updates, telemetry or remote settings.
    extraPrefsFirefox: {
      'app.update.enabled': false,
      'browser.safebrowsing.malware.enabled': false,
      'browser.safebrowsing.phishing.enabled': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'toolkit.telemetry.enabled': false,
    },
  });
  const version = await browser.version();
  return {
    engine: 'firefox',
    version,
    newTab: async () => pageTab(await browser.newPage()),
    close: () => browser.close(),
  };
}

// --- WebKit ------------------------------------------------------------------------------------

async function launchWebKit(): Promise<EngineSession> {
  const port = await freePort();
  // MiniBrowser needs a display: Xvfb, through xvfb-run, in its own process group to stop it all.
  const driver: ChildProcess = spawn(
    'xvfb-run',
    ['-a', WEBKIT_DRIVER_PATH, `--port=${port}`, '--host=127.0.0.1'],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  driver.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  driver.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stopDriver = async () => {
    if (driver.exitCode !== null || driver.pid === undefined) return;
    const exited = new Promise((r) => driver.once('exit', r));
    process.kill(-driver.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (driver.exitCode === null) process.kill(-driver.pid, 'SIGKILL');
  };
  const base = `http://127.0.0.1:${port}`;

  async function command<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const answer = (await response.json()) as { value: T & { error?: string; message?: string } };
    if (!response.ok) {
      throw new Error(
        `WebDriver ${method} ${path}: ${answer.value.error}: ${answer.value.message}`,
      );
    }
    return answer.value;
  }

  let sessionId: string;
  let version: string;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const session = await command<{
        sessionId: string;
        capabilities: { browserVersion: string };
      }>('POST', '/session', {
        capabilities: {
          alwaysMatch: {
            'webkitgtk:browserOptions': { binary: MINIBROWSER_PATH, args: ['--automation'] },
          },
        },
      });
      sessionId = session.sessionId;
      version = session.capabilities.browserVersion;
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stopDriver();
        throw new Error(`WebKitWebDriver did not start a session: ${String(error)}\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const session = `/session/${sessionId}`;
  await command('POST', `${session}/timeouts`, { script: 120_000, pageLoad: 60_000 });

  // WebDriver drives one window at a time: each tab switches to its own before a command.
  let current = await command<string>('GET', `${session}/window`);
  let first = true;
  const tab = (handle: string): EngineTab => {
    const focus = async () => {
      if (current === handle) return;
      await command('POST', `${session}/window`, { handle });
      current = handle;
    };
    return {
      async goto(url) {
        await focus();
        await command('POST', `${session}/url`, { url });
      },
      async reload() {
        await focus();
        await command('POST', `${session}/refresh`, {});
      },
      async evaluate(fn, ...args) {
        await focus();
        const script = `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => ${callExpression(fn, args)}).then(
  (value) => done({ ok: true, value: value === undefined ? null : value }),
  (error) => done({ ok: false, error: [String(error), error && error.stack].filter(Boolean).join(' at ') }),
);`;
        const result = await command<{ ok: boolean; value?: unknown; error?: string }>(
          'POST',
          `${session}/execute/async`,
          { script, args: [] },
        );
        if (!result.ok) throw new Error(`in WebKit: ${result.error}`);
        return result.value as never;
      },
    };
  };
  return {
    engine: 'webkit',
    version,
    async newTab() {
      if (first) {
        first = false;
        return tab(current);
      }
      const { handle } = await command<{ handle: string }>('POST', `${session}/window/new`, {
        type: 'tab',
      });
      return tab(handle);
    },
    async close() {
      await command('DELETE', session).catch(() => undefined);
      await stopDriver();
    },
  };
}
