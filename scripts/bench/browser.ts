/**
 * The Chromium benchmark: veo-sync beside the standard Workbox recipe and the original plan, in
 * one Debian Chromium, against one app server (the production build, built here if missing, on
 * a fresh embedded D1). Each client has an origin of its own — a small loopback server that
 * serves its page and forwards the API to the app server (veo-sync's forwards everything), counts
 * requests and uploaded bytes and injects faults — so each pays the same hop and storage is
 * separate. Medians, spreads and ratios over repeated rounds; SVG charts in docs/benchmarks/.
 *
 *   npm run bench                                                  everything, this included
 *   npx tsx --conditions=react-server scripts/bench.ts --only chromium   this part alone: it
 *       replaces the Chromium section of docs/benchmarks.md, the charts and the README's table
 *   BENCH_CHROMIUM_ROUNDS=1 …                                      one round, to try a change
 *   BENCH_CHROMIUM_CASES=h …                                       only these cases (letters,
 *       comma-separated): their tables are printed, and nothing is written
 */
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { startAppServer } from '../../tests/e2e/support/app-server';
import { CHROMIUM_PATH, launchChromium } from '../../tests/e2e/support/browser';
import {
  type BenchEnv,
  caseBigSave,
  caseCrossTab,
  caseFiveJobs,
  caseHistory200,
  caseHistory500,
  caseManyEdits,
  caseOfflineReload,
  caseOneJobFiveSaves,
  FIRST_SCREEN_ROWS,
  HISTORY_500,
  VIEWPORT,
} from './chromium-cases';
import { formatCell, formatFigure, Results, resultsChart, resultsTable } from './chromium-report';
import { PEER_LABELS, PEERS, type PeerName, startPeers } from './peers';

const ROUNDS = Number(process.env.BENCH_CHROMIUM_ROUNDS ?? 3);
/** The cases to run (their letters), when not all: `BENCH_CHROMIUM_CASES=a,h`. */
export const ONLY_CASES = process.env.BENCH_CHROMIUM_CASES?.split(',').map((c) => c.trim());
/** Scenes of each of the 20 jobs of "100 edits over 20 jobs" (~200 KB of JSON each). */
const SCENES_OF_20 = 12;
const CHARTS_DIR = 'docs/benchmarks';

export const CHROMIUM_SECTION_START = '<!-- chromium:start -->';
export const CHROMIUM_SECTION_END = '<!-- chromium:end -->';
const README_START = '<!-- bench:start -->';
const README_END = '<!-- bench:end -->';

export interface ChromiumReport {
  /** The section of docs/benchmarks.md, between its markers. */
  readonly markdown: string;
  /** The README's "How fast" table, between its markers. */
  readonly readme: string;
}

const rotate = <T>(list: readonly T[], by: number): T[] =>
  list.map((_, i) => list[(i + by) % list.length]!);

const groups = {
  reloads: [
    'a',
    'a:dcl',
    'a:hydrated',
    'g-offline:first',
    'g-offline',
    'g-hanging:first',
    'g-hanging',
    'g-reset:first',
    'g-reset',
    FIRST_SCREEN_ROWS,
    'g-offline:dcl',
    'g-offline:hydrated',
  ],
  faults: [
    'b:time',
    'b:requests',
    'b:puts',
    'b:bytes',
    'c:time',
    'c:final',
    'c:requests',
    'c:puts',
    'c:bytes',
  ],
  edits: [
    'd50:time',
    'd50:requests',
    'd50:puts',
    'd50:bytes',
    'd100:time',
    'd100:final',
    'd100:requests',
    'd100:puts',
    'd100:bytes',
  ],
  saves: ['e-floor', 'e-5mb-offline', 'e-1mb-offline', 'e-5mb-online'],
  crossTab: ['f-small', 'f-big', 'f-offline'],
  history500: ['h:first', 'h:live', 'h:longtasks', 'h:rows', 'h:index', 'h:narrow', 'h:clear'],
} as const;

/** Runs every case `ROUNDS` times and returns the report; writes the charts. */
export async function benchBrowser(): Promise<ChromiumReport> {
  if (!existsSync(CHROMIUM_PATH)) {
    const skipped = `Skipped: no Chromium at ${CHROMIUM_PATH} (bash scripts/ensure-browsers.sh installs it).`;
    return { markdown: skipped, readme: skipped };
  }
  if (!existsSync('.next/BUILD_ID') || !existsSync('public/sw.js'))
    execSync('npm run build', { stdio: 'inherit' });
  const started = Date.now();
  const build = buildInfo(describeCheckout());
  const server = await startAppServer();
  const peers = await startPeers(server.baseUrl);
  const browser = await launchChromium();
  const results = new Results();
  const version = browser.version();
  const log = (line: string) => console.log(line);
  const timings: string[] = [];
  try {
    log(`Chromium ${version}; app server ${server.baseUrl}; ${ROUNDS} rounds`);
    for (let round = 0; round < ROUNDS; round++) {
      const env: BenchEnv = {
        appUrl: server.baseUrl,
        browser,
        peers,
        results,
        order: rotate(PEERS, round),
        log,
      };
      const step = async (name: string, run: () => Promise<void>) => {
        const letter = /^\((\w)\)/.exec(name)?.[1] ?? '';
        if (ONLY_CASES && !ONLY_CASES.includes(letter)) return;
        const t = Date.now();
        log(`[round ${round + 1}/${ROUNDS}] ${name}`);
        await run();
        timings.push(`${name}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
      };
      await step('(a) offline reload, 27 jobs', () => caseOfflineReload(env, 4));
      await step('(b) one job saved 5× offline, 500s', () => caseOneJobFiveSaves(env));
      await step('(c) 5 jobs offline, 500s', () => caseFiveJobs(env));
      await step('(d) 50 and 100 offline edits', () => caseManyEdits(env, SCENES_OF_20));
      await step('(e) 5 MB save', () => caseBigSave(env, 3));
      await step('(f) cross-tab', () => caseCrossTab(env, 4));
      await step('(g) 200 jobs, offline and hanging', () =>
        caseHistory200(env, { offline: 3, hanging: 2 }),
      );
      await step('(h) 500 jobs: first render, keystrokes in the finder', () =>
        caseHistory500(env, { reloads: 3, keystrokes: 3 }),
      );
    }
  } finally {
    await browser.close().catch(() => undefined);
    await Promise.all(PEERS.map((p) => peers[p].proxy.stop()));
    await server.stop();
  }
  const minutes = (Date.now() - started) / 60_000;
  log(`Chromium part: ${minutes.toFixed(1)} min (${timings.join('; ')})`);
  if (ONLY_CASES) {
    // Some cases only: their tables, for the console; the report and charts need every case.
    const tables = Object.values(groups)
      .map((ids) => ids.filter((id) => results.has(id)))
      .filter((ids) => ids.length > 0)
      .map((ids) => resultsTable(results, ids));
    const text = `Chromium ${version}, ${ROUNDS} rounds, cases ${ONLY_CASES.join(', ')}; ${build}.\n\n${tables.join('\n\n')}`;
    return { markdown: text, readme: text };
  }
  await writeCharts(results);
  return {
    markdown: chromiumSection(results, version, minutes, build),
    readme: readmeTable(results, version),
  };
}

/** The charts' row labels: short, the tables say the rest. */
const CHART_LABELS: Record<string, string> = {
  a: '27 jobs, offline → a known job',
  'g-offline:first': '200 jobs, offline: first screen',
  'g-offline': '200 jobs, offline: all rows',
  'g-hanging:first': '200 jobs, API hanging: first screen',
  'g-hanging': '200 jobs, API hanging: all rows',
  'g-reset:first': '200 jobs, API reset: first screen',
  'g-reset': '200 jobs, API reset: all rows',
  'b:time': '1 job saved 5×, first 3 PUTs 500',
  'c:time': '5 jobs, first 3 PUTs 500',
  'd50:time': '50 edits of one 1 MB job',
  'd100:time': '100 edits over 20 jobs',
  'b:bytes': '1 job saved 5×, first 3 PUTs 500',
  'c:bytes': '5 jobs, first 3 PUTs 500',
  'd50:bytes': '50 edits of one 1 MB job',
  'd100:bytes': '100 edits over 20 jobs',
  'e-floor': 'floor: stringify + Blob put, 5 MB',
  'e-1mb-offline': 'save 1 MB, offline',
  'e-5mb-offline': 'save 5 MB, offline',
  'e-5mb-online': 'save 5 MB, online',
  'f-small': 'small save in another tab (p95)',
  'f-big': '5 MB save in another tab (p95)',
  'f-offline': 'small save, offline, other tab (p95)',
};

async function writeCharts(results: Results): Promise<void> {
  await mkdir(CHARTS_DIR, { recursive: true });
  const chart = (title: string, unit: 'ms' | 'bytes', ids: readonly string[]) =>
    resultsChart(results, title, unit, ids, (id) => CHART_LABELS[id] ?? id);
  const charts: [string, string][] = [
    [
      'chromium-reloads.svg',
      chart('History on screen after a reload (from navigation start)', 'ms', [
        'a',
        'g-offline:first',
        'g-offline',
        'g-hanging:first',
        'g-hanging',
        'g-reset:first',
        'g-reset',
      ]),
    ],
    [
      'chromium-to-server.svg',
      chart('From going online to the final state on the server', 'ms', [
        'b:time',
        'c:time',
        'd50:time',
        'd100:time',
      ]),
    ],
    [
      'chromium-uploads.svg',
      chart('Bytes uploaded after going online', 'bytes', [
        'b:bytes',
        'c:bytes',
        'd50:bytes',
        'd100:bytes',
      ]),
    ],
    [
      'chromium-saves.svg',
      chart('Saving, and another tab seeing it', 'ms', [
        'e-floor',
        'e-1mb-offline',
        'e-5mb-offline',
        'e-5mb-online',
        'f-small',
        'f-big',
        'f-offline',
      ]),
    ],
  ];
  for (const [file, svg] of charts) await writeFile(`${CHARTS_DIR}/${file}`, svg);
}

function chromiumSection(
  results: Results,
  version: string,
  minutes: number,
  build: string,
): string {
  const chart = (file: string, alt: string) => `![${alt}](benchmarks/${file})`;
  return `${CHROMIUM_SECTION_START}

## In Chromium: veo-sync, the Workbox recipe and the plan, side by side

Chromium ${version} (Debian, headless, driven by playwright-core), ${ROUNDS} rounds of every
case; this part took ${minutes.toFixed(1)} min. Each cell is the median (or the p95 where it
says so), then the range (min–max) and the number of samples (\`n\`); the last two columns are
veo-sync's figure divided by the peer's (below 1: veo-sync is faster or smaller). Measured:
${build}.

The clients run in turn, in a rotated order each round, each in a fresh browser context, all
against **one app server**: the production build on a fresh embedded D1. Each client has an
origin of its own: a small loopback server of the bench (\`scripts/bench/proxy.ts\`) serves its
page and forwards the API to the app server — veo-sync's forwards everything — so each pays the
same hop; the same servers count the API requests and the bytes uploaded and inject faults (the
next N PUTs answered 500, API requests never answered or their connections reset), where they
reach requests from service workers too.

- **veo-sync**: the production build, driven through its page API (\`veoCache.setCachedJob\`,
  \`syncStatus\`).
- **The Workbox recipe** (\`scripts/bench/recipe/\`), built at bench time with esbuild from the
  installed \`workbox-*\` packages, configured as Workbox's documentation does: \`precacheAndRoute\`
  for its page and script; \`NetworkOnly\` with \`BackgroundSyncPlugin\` for PUT and DELETE of
  \`/api/veo/jobs/:id\`; \`NetworkFirst\` with a cache for \`GET /api/veo/jobs\` and
  \`GET /api/veo/jobs/:id\`, with \`networkTimeoutSeconds: 3\` as workbox-recipes' \`pageCache\`
  sets it; \`skipWaiting\` and \`clientsClaim\`. Its page lists the jobs through the worker and
  saves with a plain \`fetch\` PUT of the job's JSON (gzip-encoded only when it is over the API's
  4 MiB body limit, as the API asks of large jobs: the 5 MB jobs); offline, the worker queues the
  request and the fetch rejects — the time of a save is until that promise settles. Workbox has
  nothing for other tabs: the page posts on a BroadcastChannel after each save and other tabs
  list again through the worker (the plan's way, and the least a recipe app would do).
- **The plan** (\`scripts/bench/plan-page.ts\`): its \`getCachedJobList\`/\`setCachedJob\` as
  shared/seed-plan.md writes them (fetch with a 5 s timeout, then localStorage), a
  BroadcastChannel message after each write and other tabs listing again. No service worker, so
  its page cannot load offline, and no outbox: what it saved offline stays in localStorage. It
  sends plain JSON as written, so the server refuses a 5 MB job (413, over 4 MiB) and the plan
  falls back to localStorage, whose quota then refuses it too.

Offline is \`context.setOffline(true)\` for every client; back online is
\`context.setOffline(false)\` and nothing else (veo-sync and the recipe both replay on Chromium's
Background Sync). "Time to the final state on the server" runs from going back online until the
app server's own list (polled every 25 ms, directly) shows every job at its last saved version; a
client that has had nothing left to send for 2 s (veo-sync's outbox or Workbox's queue empty; the
plan at once) without getting there has lost what is missing. Requests and bytes are counted
from going online to that moment.

### Where veo-sync is behind

${behind(results)}

### Reloads: the history on screen

${resultsTable(results, groups.reloads)}

${chart('chromium-reloads.svg', 'History on screen after a reload, per client')}

The 27 jobs of the first row (20 small, five of ~1 MB, two of ~5 MB; the known job is a small
one) are stored on the server first; veo-sync's device replicates them (waited for until every
job opens offline) and the recipe lists them and opens each, so its cache holds the list and
every job. The 200 jobs are small. "API never answering" leaves API requests open (held by the
client's server); "reset" closes their connections at once.

The 200 jobs are timed twice in each reload, from navigation start, by the same script in every
client's page (added before the page's own: a MutationObserver on the document, which also looks
again when a stylesheet or a font loads):

- **All 200 rows in the DOM**: until the 200th row is in the document. It depends on how much
  markup a row has, and the rows differ: veo-sync's carry the job's details, its actions and its
  sync and offline states; the recipe's and the plan's pages render bare \`<li>\` rows holding
  the video id.
- **The first screen**: what the user sees. Until the newest job's row (every client lists the
  newest first) is in the document and the rows there fill the viewport
  (${VIEWPORT.width} × ${VIEWPORT.height}): the last \`li.job\` row's bottom edge is at or below
  \`window.innerHeight\`, or all 200 rows are there. The row "rows in the DOM at the first
  screen" says how many rows were in the document at that moment: rows arrive in batches (all
  at once in the recipe's and the plan's pages; veo-sync's in the chunks of HTML its service
  worker streams), so it can be more than the viewport holds.

### After a burst of 500s

The first three PUT requests that reach a client's server after it goes online are answered 500
there, before the app sees them; everything after is forwarded. The job is small (3 scenes).

${resultsTable(results, groups.faults)}

### Many offline edits

${resultsTable(results, groups.edits)}

${chart('chromium-to-server.svg', 'From going online to the final state on the server')}

${chart('chromium-uploads.svg', 'Bytes uploaded after going online')}

### Saving a big job, and another tab seeing a save

The floor is measured in each client's own page in the same run: \`JSON.stringify\` of the
5 MB job and one IndexedDB \`put\` of it as a Blob in a fresh database (opened before the clock
starts). The cross-tab rows: a new job saved in one tab, until its row is in the DOM of a second
tab of the same origin; online, each save waits for the previous one to be uploaded; the last row
is offline (\`context.setOffline(true)\`).

${resultsTable(results, groups.saves)}

${resultsTable(results, groups.crossTab)}

${chart('chromium-saves.svg', 'Saving, and another tab seeing it')}

### The history with ${HISTORY_500} jobs (veo-sync alone)

${HISTORY_500} jobs of 3 scenes on the device (replicated, waited for); a reload online, timed
from navigation start like the 200 jobs above, until the first screen and until the live list
(React's, which replaces the worker's early rows after hydration) is in the DOM, with the
main thread's long tasks (over 50 ms) until then; then keystrokes in the finder, each from its
\`keydown\` to the first frame after the finder's count shows the new list. The peers have no
finder: the rows are veo-sync's alone.

${resultsTable(results, groups.history500)}
${CHROMIUM_SECTION_END}`;
}

/**
 * Which build was measured: .next's build time, and the checkout as it was when the run began
 * (its commit, and how many product files differed from it then — a build may predate them).
 */
function buildInfo(checkout: string): string {
  const built = statSync('.next/BUILD_ID').mtime.toISOString().slice(0, 16).replace('T', ' ');
  return `the production build in .next made ${built} UTC; the checkout at the start of the run: ${checkout}`;
}

function describeCheckout(): string {
  try {
    const commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
    const changed = execSync('git status --porcelain -- lib app components sw', {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean).length;
    return changed === 0
      ? `commit ${commit}`
      : `commit ${commit}, ${changed} files under lib/, app/, components/, sw/ changed or new`;
  } catch {
    return 'not a git checkout';
  }
}

/**
 * Why veo-sync is behind where it is by design, said under the row when it is: what the peer does
 * to get there sooner, and what veo-sync does instead.
 */
const ROWS_BEHIND =
  "The recipe's page is a bare list: 1 KB of HTML whose script puts 200 `<li>` rows of a job id " +
  "(~30 bytes each) into the page in one call. veo-sync's page is the app: its worker renders " +
  "every row with the page's own React components (title, sync state, a summary, what is on " +
  'the device, three actions: ~500 bytes each) and streams them — the first 16 rows at once, ' +
  "then the rest of its first page of 50 — while the browser also loads and runs the app's ~600 KB of " +
  'JavaScript; the first screen needs a few of those rows, all rows need the whole stream. The ' +
  'plan, when its request is refused, reads localStorage from its own 1 KB page, with no worker ' +
  'in between.';

const WHY_BEHIND: Record<string, string> = {
  'g-offline:first': ROWS_BEHIND,
  'g-offline': ROWS_BEHIND,
  'g-reset:first': ROWS_BEHIND,
  'g-reset': ROWS_BEHIND,
  'b:time':
    'The recipe sends its five queued PUTs back to back and never retries one: the last two ' +
    'copies happen to be the final version, the three answered 500 are dropped (with five ' +
    'different jobs, case c, it loses three of them). veo-sync keeps its one coalesced op and ' +
    'retries it with backoff from 100 ms, full jitter (lib/client/retry-policy.ts): after a burst ' +
    'of up to four failures the final version is on the server within a second, and a failure ' +
    'that lasts is not hammered (about 35 attempts in an hour, never sooner than Retry-After).',
};

/** Every measured time where a peer's figure is below veo-sync's, or veo-sync has none. */
function behind(results: Results): string {
  const ids = [
    ...groups.reloads,
    ...groups.faults,
    ...groups.edits,
    ...groups.saves,
    ...groups.crossTab,
  ]
    .filter((id) => !id.includes(':') || id.endsWith(':time') || id.endsWith(':first'))
    .filter((id) => results.row(id).unit === 'ms' && id !== 'e-floor');
  const lines: string[] = [];
  const explained = new Set<string>();
  for (const id of ids) {
    const row = results.row(id);
    const ours = results.figure(id, 'project');
    for (const peer of PEERS.filter((p) => p !== 'project')) {
      const theirs = results.figure(id, peer);
      if (theirs === null) continue;
      if (ours === null || ours > theirs)
        lines.push(
          `- ${row.label}: veo-sync ${formatCell(row, 'project', true)}, ${PEER_LABELS[peer]} ${formatCell(row, peer, true)}`,
        );
    }
    // Each reason once, under the first row it explains.
    const why = WHY_BEHIND[id];
    if (why && !explained.has(why) && lines.at(-1)?.startsWith(`- ${row.label}:`)) {
      explained.add(why);
      lines.push(`  ${why}`);
    }
  }
  return lines.length > 0
    ? lines.join('\n')
    : 'Nowhere: veo-sync is ahead of both peers on every measured time.';
}

/** A compact cell for the README: the figure and its range. */
function brief(results: Results, id: string, peer: PeerName): string {
  return formatCell(results.row(id), peer, true);
}

/** Requests, bytes and time to the server, in one README cell. */
function toServer(results: Results, prefix: string, peer: PeerName): string {
  const puts = results.figure(`${prefix}:puts`, peer);
  const bytes = results.figure(`${prefix}:bytes`, peer);
  const time = results.row(`${prefix}:time`);
  const timeCell = formatCell(time, peer, true);
  if (puts === null || bytes === null) return timeCell;
  if (puts === 0) return time.cells[peer].samples.length > 0 ? `no request; ${timeCell}` : timeCell;
  return `${puts.toFixed(0)} PUT, ${formatFigure(bytes, 'bytes')}; ${timeCell}`;
}

function readmeTable(results: Results, version: string): string {
  const rows: [string, (peer: PeerName) => string][] = [
    [
      'reload offline, 27 jobs (some 1 MB and 5 MB) → a known job on screen',
      (p) => brief(results, 'a', p),
    ],
    [
      '200 jobs, reload offline → the first screen (newest job, viewport filled)',
      (p) => brief(results, 'g-offline:first', p),
    ],
    [
      '200 jobs, reload offline → every row the page shows in the DOM (veo-sync: its first 50)',
      (p) => brief(results, 'g-offline', p),
    ],
    [
      '200 jobs, reload with the API never answering → every row the page shows (veo-sync: 50)',
      (p) => brief(results, 'g-hanging', p),
    ],
    [
      'one job saved 5× offline, first 3 PUTs answered 500 → final on the server',
      (p) => brief(results, 'b:time', p),
    ],
    [
      '5 jobs saved offline, first 3 PUTs answered 500 → all on the server',
      (p) => brief(results, 'c:time', p),
    ],
    ['50 offline edits of a 1 MB job → on the server', (p) => toServer(results, 'd50', p)],
    [`100 offline edits over 20 jobs → on the server`, (p) => toServer(results, 'd100', p)],
    ['saving a 5 MB job offline: the promise settled', (p) => brief(results, 'e-5mb-offline', p)],
    [
      'the floor, in the same page: stringify + one IndexedDB put of it as a Blob',
      (p) => brief(results, 'e-floor', p),
    ],
    ['a small save on screen in another tab (p95)', (p) => brief(results, 'f-small', p)],
    ['a 5 MB save on screen in another tab (p95)', (p) => brief(results, 'f-big', p)],
    [
      'a small save made offline, on screen in another tab (p95)',
      (p) => brief(results, 'f-offline', p),
    ],
  ];
  const lines = [
    `Medians with their range, over ${ROUNDS} rounds in Chromium ${version}, all three clients against one server in one run.`,
    '',
    '| | veo-sync | Workbox recipe | the original plan |',
    '| --- | --- | --- | --- |',
    ...rows.map(
      ([label, cell]) =>
        `| ${label} | ${PEERS.map((p) => cell(p).replace(/\|/g, '\\|')).join(' | ')} |`,
    ),
  ];
  return `${README_START}\n${lines.join('\n')}\n${README_END}`;
}

/** Puts `section` into docs/benchmarks.md in place of the Chromium section there. */
export async function spliceChromiumSection(file: string, section: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  const start = text.indexOf(CHROMIUM_SECTION_START);
  const end = text.indexOf(CHROMIUM_SECTION_END);
  let next: string;
  if (start >= 0 && end > start)
    next = text.slice(0, start) + section + text.slice(end + CHROMIUM_SECTION_END.length);
  else {
    // A report written before the markers: its Chromium section runs to the next heading.
    const heading = text.indexOf('\n## In Chromium');
    if (heading < 0) next = `${text.trimEnd()}\n\n${section}\n`;
    else {
      const after = text.indexOf('\n## ', heading + 1);
      next = `${text.slice(0, heading + 1)}${section}\n${after < 0 ? '' : text.slice(after)}`;
    }
  }
  await writeFile(file, next);
}

/** Replaces the README's "How fast" table with `table` and formats the README with prettier. */
export async function updateReadme(table: string): Promise<void> {
  const text = await readFile('README.md', 'utf8');
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_START} … ${README_END}`);
  await writeFile('README.md', text.slice(0, start) + table + text.slice(end + README_END.length));
  execSync('npx prettier --write README.md', { stdio: 'ignore' });
}
