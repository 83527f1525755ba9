import { describe, expect, it } from 'vitest';
import { openVeoDb } from '@/lib/client/db';
import { createPromptSearch } from '@/lib/client/prompt-search';
import { promptsContain } from '@/lib/client/prompt-index';
import { createDevice, type Device, type Tab } from '../../support/device';
import { useJobsApiServer } from '../../support/jobs-api-harness';

const scenes = (...prompts: string[]) => ({ scenes: prompts.map((prompt) => ({ prompt })) });

/**
 * The prompt-text index (lib/client/prompt-index.ts): derived from the job data on the device,
 * one entry per job and version, whatever the data's encoding; entries of another version, of
 * deleted jobs or of data no longer here are not served; nothing while signed out; gone with the
 * device's jobs when they are discarded.
 */
describe('the prompt-text index', () => {
  const harness = useJobsApiServer();
  const { uniqueId } = harness;

  function tab(device: Device = createDevice(harness.server.origin)): Tab {
    return harness.track(device.openTab({ delegateDrain: () => Promise.resolve(true) }));
  }

  async function words(t: Tab): Promise<Map<string, string>> {
    const { entries } = await t.client.readPromptIndex();
    return new Map([...entries].map(([id, entry]) => [id, entry.words]));
  }

  async function storedEntry(device: Device, jobId: string) {
    const db = await openVeoDb(device.indexedDB);
    try {
      return await db.get('promptIndex', jobId);
    } finally {
      db.close();
    }
  }

  it('indexes each job’s prompts once per version, as saved (JSON) and as uploaded (gzip)', async () => {
    const device = createDevice(harness.server.origin);
    const t = tab(device);
    const a = uniqueId('lighthouse');
    const b = uniqueId('quokka');
    await t.client.saveJob({ jobId: a, data: scenes('A Lighthouse at dusk.', 'Gulls, wheeling.') });
    await t.client.saveJob({ jobId: b, data: scenes('A quokka-like creature smiles') });

    const first = await t.client.updatePromptIndex();
    expect(first).toMatchObject({ indexed: 2, removed: [], signedOut: false });
    const indexed = await words(t);
    expect(promptsContain(indexed.get(a)!, 'lighthouse')).toBe(true);
    expect(promptsContain(indexed.get(a)!, 'GULLS')).toBe(true);
    expect(promptsContain(indexed.get(a)!, 'quokka')).toBe(false);
    expect(promptsContain(indexed.get(b)!, 'quokka-like')).toBe(true);
    const savedVersion = (await t.client.listJobs()).find((j) => j.jobId === a)!.version;
    expect((await storedEntry(device, a))?.version).toBe(savedVersion);

    // Known entries are not read again; nor, once uploaded, is the same version as gzip.
    const { entries } = await t.client.readPromptIndex();
    expect(await t.client.updatePromptIndex({ known: entries })).toMatchObject({ indexed: 0 });
    await t.client.drain();
    const db = await openVeoDb(device.indexedDB);
    expect((await db.get('jobData', a))?.encoding).toBe('job-gzip');
    db.close();
    expect(await t.client.updatePromptIndex({ known: entries })).toMatchObject({ indexed: 0 });
    expect((await words(t)).get(a)).toBe(indexed.get(a));
  });

  it('indexes what replication brought (the server’s gzip), and replaces an entry when a newer version arrives', async () => {
    const writer = tab();
    const id = uniqueId('edited');
    await writer.client.saveJob({ jobId: id, data: scenes('An albatross over the sea') });
    await writer.client.drain();
    const device = createDevice(harness.server.origin);
    const reader = tab(device);
    await reader.client.sync();
    await reader.client.updatePromptIndex();
    expect(promptsContain((await words(reader)).get(id)!, 'albatross')).toBe(true);

    await writer.client.saveJob({ jobId: id, data: scenes('A zebra crossing at night') });
    await writer.client.drain();
    // The pull learns of the edit; only the older data is on the device: not searched.
    reader.net.block('/api/veo/job-data');
    await reader.client.pull();
    expect((await reader.client.listJobs()).find((j) => j.jobId === id)?.onDevice).toBe('older');
    expect((await words(reader)).has(id)).toBe(false);
    expect(await storedEntry(device, id)).toBeUndefined();
    // Other tests' jobs share the server: only what this device's index lacks is read.
    const known = async () => ({ known: (await reader.client.readPromptIndex()).entries });
    expect(await reader.client.updatePromptIndex(await known())).toMatchObject({ indexed: 0 });

    reader.net.unblock('/api/veo/job-data');
    await reader.client.replicate();
    expect(await reader.client.updatePromptIndex(await known())).toMatchObject({ indexed: 1 });
    const edited = (await words(reader)).get(id)!;
    expect(promptsContain(edited, 'zebra')).toBe(true);
    expect(promptsContain(edited, 'albatross')).toBe(false);
  });

  it('removes the entry of a deleted job, and of every job a clear-all removed', async () => {
    const device = createDevice(harness.server.origin);
    const t = tab(device);
    const gone = uniqueId('deleted');
    const kept = uniqueId('kept');
    await t.client.saveJob({ jobId: gone, data: scenes('a deleted heron') });
    await t.client.saveJob({ jobId: kept, data: scenes('a kept heron') });
    const { entries } = await t.client.readPromptIndex();
    expect(entries.size).toBe(0);
    await t.client.updatePromptIndex();
    const known = (await t.client.readPromptIndex()).entries;
    expect([...known.keys()].sort()).toEqual([gone, kept].sort());

    await t.client.deleteJob(gone);
    // Known to the caller, no longer valid: reported removed, and gone from the store.
    expect((await t.client.updatePromptIndex({ known })).removed).toEqual([gone]);
    expect(await storedEntry(device, gone)).toBeUndefined();
    expect([...(await words(t)).keys()]).toEqual([kept]);

    await t.client.clearAll();
    expect((await words(t)).size).toBe(0);
    expect(await storedEntry(device, kept)).toBeUndefined();
  });

  it('serves and reads nothing while signed out, and is cleared with the device’s jobs', async () => {
    const device = createDevice(harness.server.origin);
    const t = tab(device);
    const id = uniqueId('private');
    await t.client.saveJob({ jobId: id, data: scenes('a private walrus') });
    await t.client.updatePromptIndex();
    expect((await words(t)).has(id)).toBe(true);

    await t.client.signOut();
    expect(await t.client.readPromptIndex()).toEqual({ entries: new Map(), signedOut: true });
    expect(await t.client.updatePromptIndex()).toMatchObject({ signedOut: true, indexed: 0 });
    // The entry stays on the device, locked, like the job itself.
    expect(await storedEntry(device, id)).toBeDefined();

    await t.client.discardDeviceData();
    expect(await storedEntry(device, id)).toBeUndefined();
  });

  it('keeps a page’s search up to date: indexed on first use, then after every change', async () => {
    const t = tab();
    const first = uniqueId('first');
    await t.client.saveJob({ jobId: first, data: scenes('a narwhal') });
    const search = createPromptSearch(t.client, { pause: () => Promise.resolve() });
    expect(search.get()).toMatchObject({ ready: false, busy: false });
    expect(search.get().words.size).toBe(0);
    await search.activate();
    expect(search.get()).toMatchObject({ ready: true, busy: false, indexing: null });
    expect(promptsContain(search.get().words.get(first)!.words, 'narwhal')).toBe(true);

    const second = uniqueId('second');
    let sawBusy = false;
    const seen = new Promise<void>((resolve) =>
      search.subscribe(() => {
        const { busy, words } = search.get();
        sawBusy ||= busy;
        if (!busy && words.has(second)) resolve();
      }),
    );
    await t.client.saveJob({ jobId: second, data: scenes('an okapi') });
    await seen;
    expect(sawBusy).toBe(true);
    expect(promptsContain(search.get().words.get(second)!.words, 'okapi')).toBe(true);

    await t.client.deleteJob(first);
    await expect.poll(() => search.get().words.has(first)).toBe(false);
    search.close();
  });
});
