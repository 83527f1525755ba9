/**
 * Client benchmarks (fake-indexeddb in Node, the real route handlers on Miniflare's D1 behind a
 * loopback server): what a save costs, what listing costs, and what a drain sends.
 */
import 'fake-indexeddb/auto';
import type { JobWrite } from '@/lib/client/sync-client';
import { generateSampleJobInput } from '@/lib/shared/sample-job';
import { createDevice } from '../../tests/support/device';
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
