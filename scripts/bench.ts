/**
 * `npm run bench`: measures what the design promises and writes the figures to
 * docs/benchmarks.md with the machine and the date. Medians and ratios, never pass/fail.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { benchBrowser, ONLY_CASES, spliceChromiumSection, updateReadme } from './bench/browser';
import { benchCatchUp, benchClient } from './bench/client';
import { benchServer, benchServerOnly } from './bench/server';

async function main(): Promise<void> {
  if (['server', 'load'].includes(process.argv[process.argv.indexOf('--only') + 1] ?? '')) {
    // The server's sections alone (`load`: the load test alone), written in place.
    await benchServerOnly(process.argv);
    return;
  }
  if (process.argv[process.argv.indexOf('--only') + 1] === 'chromium') {
    // The Chromium part alone: its section of docs/benchmarks.md, its charts, the README table.
    const chromium = await benchBrowser();
    if (ONLY_CASES) {
      // Some cases only: printed, not written (docs/benchmarks.md and the README need them all).
      console.log(`\n${chromium.markdown}`);
      return;
    }
    await spliceChromiumSection('docs/benchmarks.md', chromium.markdown);
    await updateReadme(chromium.readme);
    console.log(`\n${chromium.markdown}`);
    return;
  }
  const started = new Date();
  const server = await benchServer();
  console.log('Device: saves, lists, drains…');
  const client = await benchClient();
  console.log('Device: catching up on 200 jobs…');
  const catchUp = await benchCatchUp();
  console.log('Chromium: veo-sync beside the Workbox recipe and the original plan…');
  const chromium = await benchBrowser();

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const report = `# Benchmarks

Written by \`npm run bench\` on ${started.toISOString().slice(0, 10)}: ${os.cpus().length} × ${cpu},
${Math.round(os.totalmem() / 1024 ** 3)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}.
Shared machine: read medians and ratios, not single runs.

${server}

## Catching up: a new device and 200 jobs

${catchUp}

## On the device

Under fake-indexeddb in Node (a real browser's IndexedDB differs in absolute speed; the
end-to-end suite measures Chromium), against the route handlers above over loopback HTTP.

\`setCachedJob\` resolves when the job and its outbox op are committed to IndexedDB; it stores
the JSON as a Blob and never compresses (the drain does). Median of 10 saves.

${client.saves}

\`getCachedJobList\` reads IndexedDB only. Median of 30.

${client.lists}

Offline saves of 1 MB jobs, then one drain once the network is back. Coalescing keeps one op per
job; the drain sends it gzip-compressed. "One request per save" is what a queue of raw requests
(Workbox's BackgroundSyncPlugin) would replay.

${client.drains}

${chromium.markdown}
`;
  await writeFile('docs/benchmarks.md', report);
  await updateReadme(chromium.readme);
  console.log(`\n${report}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    // Exit even if a benchmark left a database process behind.
    process.exit(1);
  },
);
