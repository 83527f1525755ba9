import { afterEach, describe, expect, it } from 'vitest';
import { openVeoDb } from '@/lib/client/db';
import {
  FORM_SETTINGS_KEY,
  clearPhaseCache,
  getFormSettings,
  getPhaseCache,
  importLegacyJobs,
  setFormSettings,
  setPhaseCache,
} from '@/lib/veo/cache-local';
import { createDevice, type Tab } from '../../support/device';
import { createMemoryStorage } from '../../support/memory-storage';

const legacy = (jobId: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    jobId,
    videoId: `video-${jobId}`,
    sceneCount: 2,
    createdAt: new Date(Date.now() - 60_000).toISOString(),
    data: { scenes: [{ prompt: 'a' }, { prompt: 'b' }] },
    ...extra,
  });

describe('rule 9: localStorage keeps phases and settings; legacy jobs move to IndexedDB once', () => {
  const tabs: Tab[] = [];
  afterEach(async () => {
    await Promise.all(tabs.splice(0).map((t) => t.client.close()));
  });
  function tab(device = createDevice('http://127.0.0.1:9')): Tab {
    const t = device.openTab({ delegateDrain: () => Promise.resolve(true) });
    tabs.push(t);
    return t;
  }

  it('keeps the phase cache and form settings in localStorage with a sync API', () => {
    const storage = createMemoryStorage();
    setPhaseCache('job-1', { phase: 'scenes', done: 12 }, storage);
    setFormSettings({ mode: 'hybrid', voice: 'no-voice' }, storage);
    expect(getPhaseCache('job-1', storage)).toEqual({ phase: 'scenes', done: 12 });
    expect(getFormSettings(storage)).toEqual({ mode: 'hybrid', voice: 'no-voice' });
    expect(storage.map.get(FORM_SETTINGS_KEY)).toBe('{"mode":"hybrid","voice":"no-voice"}');
    clearPhaseCache('job-1', storage);
    expect(getPhaseCache('job-1', storage)).toBeNull();
  });

  it('imports veo_job_* entries into the replica and the outbox, then removes them', async () => {
    const device = createDevice('http://127.0.0.1:9');
    const t = tab(device);
    const storage = createMemoryStorage({
      veo_job_a: legacy('a'),
      veo_job_b: legacy('b', { timestamp: Date.now() - 1000 }),
      veo_phase_a: '{"phase":1}',
      veo_form_settings: '{}',
    });
    const result = await importLegacyJobs((jobs) => t.client.importJobs(jobs), storage);
    expect(result).toEqual({ imported: ['a', 'b'], skipped: [] });
    expect([...storage.map.keys()].sort()).toEqual(['veo_form_settings', 'veo_phase_a']);
    expect((await t.client.listJobs()).map((j) => [j.jobId, j.syncState]).sort()).toEqual([
      ['a', 'pending'],
      ['b', 'pending'],
    ]);
    const read = await t.client.readJob('a');
    expect(read.status === 'found' && read.job.data).toEqual({
      scenes: [{ prompt: 'a' }, { prompt: 'b' }],
    });
  });

  it('leaves unreadable entries in localStorage and says why', async () => {
    const t = tab();
    const storage = createMemoryStorage({
      veo_job_x: 'not json',
      veo_job_y: '{"jobId":"y","sceneCount":"many"}',
    });
    const result = await importLegacyJobs((jobs) => t.client.importJobs(jobs), storage);
    expect(result.imported).toEqual([]);
    expect(result.skipped.map((s) => s.key)).toEqual(['veo_job_x', 'veo_job_y']);
    expect(result.skipped[1]?.reason).toMatch(/sceneCount/);
    expect(storage.map.size).toBe(2);
  });

  it('survives an import interrupted halfway: nothing lost, nothing duplicated', async () => {
    const device = createDevice('http://127.0.0.1:9');
    const storage = createMemoryStorage({
      veo_job_a: legacy('a'),
      veo_job_b: legacy('b'),
      veo_job_c: legacy('c'),
    });

    // First run: the IndexedDB write of the second job fails (the tab was closed mid-import).
    const first = tab(device);
    let calls = 0;
    await expect(
      importLegacyJobs(async (jobs) => {
        if (++calls === 2) throw new Error('tab closed');
        return first.client.importJobs(jobs);
      }, storage),
    ).rejects.toThrow('tab closed');
    expect([...storage.map.keys()].sort()).toEqual(['veo_job_b', 'veo_job_c']);

    // Second run: the job commits but the tab dies before its localStorage entry is removed.
    const second = tab(device);
    storage.failRemoveOnce = true;
    await expect(
      importLegacyJobs((jobs) => second.client.importJobs(jobs), storage),
    ).rejects.toThrow();
    expect([...storage.map.keys()].sort()).toEqual(['veo_job_b', 'veo_job_c']);

    // Third run completes; b is already in IndexedDB and is only removed from localStorage.
    const third = tab(device);
    const result = await importLegacyJobs((jobs) => third.client.importJobs(jobs), storage);
    expect(result.imported.sort()).toEqual(['b', 'c']);
    expect(storage.map.size).toBe(0);
    expect((await third.client.listJobs()).map((j) => j.jobId).sort()).toEqual(['a', 'b', 'c']);
    const raw = await openVeoDb(device.indexedDB);
    const ops = await raw.getAll('outbox');
    raw.close();
    expect(ops.map((o) => o.jobId).sort()).toEqual(['a', 'b', 'c']);
  });
});
