/**
 * Client benchmarks (fake-indexeddb in Node, the real route handlers on Miniflare's D1 behind a
 * loopback server): what a save costs, what listing costs, and what a drain sends.
 */
import 'fake-indexeddb/auto';
import type { JobWrite } from '@/lib/client/sync-client';
import { jobInputSchema } from '@/lib/shared/job-schema';
import { generateSampleJob, generateSampleJobInput } from '@/lib/shared/sample-job';
import { createDevice, type Tab } from '../../tests/support/device';
import { startJobsApiServer } from '../../tests/support/jobs-api-server';
import { bytes, median, ms, quantile, table, timeRuns } from './stats';

function write(jobId: string, sceneCount: number, seed: number): JobWrite {
  return generateSampleJobInput({ jobId, sceneCount, seed });
}

export async function benchClient(): Promise<{ saves: string; lists: string; drains: string }> {
  const server = await startJobsApiServer();
  try {
    // --- setCachedJob -------------------------------------------------------------------------
    const saveRows: string[][] = [];
    for (const [label, scenes] of [
      ['1 MB', 60],
      ['5 MB', 295],
    ] as const) {
      const tab = createDevice(server.origin).openTab({
        delegateDrain: () => Promise.resolve(true),
      });
      const job = write(`save-${scenes}`, scenes, scenes);
      const size = new Blob([JSON.stringify(job)]).size;
      const stringify = await timeRuns(10, () => JSON.stringify(job));
      const saves = await timeRuns(10, () => tab.client.saveJob(job));
      saveRows.push([
        label,
        bytes(size),
        ms(median(stringify)),
        ms(median(saves)),
        ms(quantile(saves, 0.95)),
      ]);
      await tab.client.close();
    }

    // --- getCachedJobList ---------------------------------------------------------------------
    const listRows: string[][] = [];
    for (const count of [20, 200]) {
      const tab = createDevice(server.origin).openTab({
        delegateDrain: () => Promise.resolve(true),
      });
      for (let i = 0; i < count; i++) await tab.client.saveJob(write(`list-${count}-${i}`, 2, i));
      const lists = await timeRuns(30, () => tab.client.listJobs());
      listRows.push([String(count), ms(median(lists)), ms(quantile(lists, 0.95))]);
      await tab.client.close();
    }

    // --- drains -------------------------------------------------------------------------------
    const drainRows: string[][] = [];
    const scenarios = [
      { name: '50 edits of one job', jobs: 1, edits: 50 },
      { name: '50 edits over 10 jobs', jobs: 10, edits: 5 },
    ];
    for (const scenario of scenarios) {
      const tab = createDevice(server.origin).openTab({
        delegateDrain: () => Promise.resolve(true),
      });
      tab.net.offline = true;
      let rawBytes = 0;
      for (let e = 0; e < scenario.edits; e++) {
        for (let j = 0; j < scenario.jobs; j++) {
          const job = { ...write(`drain-${scenario.jobs}-${j}`, 60, j), videoId: `edit-${e}` };
          rawBytes += new Blob([JSON.stringify(job)]).size;
          await tab.client.saveJob(job);
        }
      }
      tab.net.offline = false;
      const before = tab.net.requests.length;
      const started = performance.now();
      const result = await tab.client.drain({ force: true });
      const elapsed = performance.now() - started;
      const sent = tab.net.requests.slice(before).filter((r) => r.method === 'PUT');
      const sentBytes = sent.reduce((n, r) => n + r.bodyBytes, 0);
      drainRows.push([
        scenario.name,
        String(scenario.jobs * scenario.edits),
        String(sent.length),
        bytes(sentBytes),
        bytes(rawBytes),
        `${(rawBytes / sentBytes).toFixed(0)}×`,
        ms(elapsed),
        String(result.sent),
      ]);
      await tab.client.close();
    }

    return {
      saves: table(
        ['job', 'JSON', 'JSON.stringify ms', 'setCachedJob median ms', 'p95 ms'],
        saveRows,
      ),
      lists: table(['jobs on the device', 'getCachedJobList median ms', 'p95 ms'], listRows),
      drains: table(
        [
          'offline work',
          'saves',
          'PUT requests',
          'bytes sent',
          'one request per save would send',
          'ratio',
          'drain ms',
          'acknowledged',
        ],
        drainRows,
      ),
    };
  } finally {
    await server.close();
  }
}

/**
 * A new device catching up on 200 jobs (~300 KB of JSON each): background replication in job
 * bundles, against one request per job (the way a cache fills as jobs are opened). Counts HTTP
 * requests, D1 requests and D1 rows: the REST API allows about 1,200 requests per 5 minutes per
 * token for the whole deployment.
 */
export async function benchCatchUp(): Promise<string> {
  const d1 = { requests: 0, rowsRead: 0, rowsWritten: 0 };
  const server = await startJobsApiServer({
    meter: (results) => {
      d1.requests++;
      for (const r of results) {
        d1.rowsRead += r.rowsRead;
        d1.rowsWritten += r.rowsWritten;
      }
    },
  });
  try {
    const now = Date.now();
    let gzipTotal = 0;
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const job = jobInputSchema.parse(
        generateSampleJob({
          jobId: `catch-up-${i}`,
          sceneCount: 20,
          seed: i,
          updatedAt: now - (200 - i) * 1000,
        }),
      );
      await server.store.upsertJob(job, `seed-${i}`);
      ids.push(job.jobId);
    }
    for (const id of ids) gzipTotal += (await server.store.getJob(id))!.gzip.byteLength;
    const rows: string[][] = [];
    const measure = async (label: string, run: (tab: Tab) => Promise<void>) => {
      const tab = createDevice(server.origin).openTab({
        delegateDrain: () => Promise.resolve(true),
      });
      Object.assign(d1, { requests: 0, rowsRead: 0, rowsWritten: 0 });
      const started = performance.now();
      await run(tab);
      const took = performance.now() - started;
      const status = await tab.client.refreshStatus();
      rows.push([
        label,
        String(tab.net.requests.length),
        String(d1.requests),
        String(d1.rowsRead),
        String(d1.rowsWritten),
        `${status.replica.current} of ${status.replica.jobs}`,
        ms(took),
      ]);
      await tab.client.close();
    };
    await measure('background replication (job bundles)', (tab) => tab.client.sync());
    await measure('one GET per job (a cache filled by opening)', async (tab) => {
      await tab.client.pull();
      for (const id of ids) await tab.client.readJob(id);
    });
    return `200 jobs of 20 scenes (${bytes(gzipTotal)} of gzip in all, ${bytes(gzipTotal / 200)} each), stored on the server; a new device syncs from nothing. A bundle carries at most 50 jobs and 3 MiB.

${table(['how', 'HTTP requests', 'D1 requests', 'D1 rows read', 'D1 rows written', 'jobs that open offline', 'ms'], rows)}`;
  } finally {
    await server.close();
  }
}
