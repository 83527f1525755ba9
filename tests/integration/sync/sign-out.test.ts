import { describe, expect, it } from 'vitest';
import { openVeoDb } from '@/lib/client/db';
import { SIGNED_OUT_MESSAGE } from '@/lib/client/sync-client';
import { sessionStartedSchema } from '@/lib/shared/api-types';
import { createDevice, type Device, type Tab } from '../../support/device';
import { useJobsApiServer } from '../../support/jobs-api-harness';

const KEY = 'the owner’s access key';

/**
 * After the user signs out on a device, the device stops acting for them (finding 4 of the
 * access review): nothing shown, nothing sent, nothing pulled, and the worker's offline answers
 * refuse; what waited stays on the device and goes out after a sign-in under the same key.
 * Against the real route handlers behind sign-in, with a cookie jar per device.
 */
describe('signed out on a device', () => {
  const harness = useJobsApiServer({ accessKey: KEY });
  const { uniqueId } = harness;

  function tab(device: Device): Tab {
    // Drains only when the test says so.
    const opened = device.openTab({ delegateDrain: () => Promise.resolve(true) });
    return harness.track(opened);
  }

  /** Signs the device in as the sign-in page does; returns the key id the server named. */
  async function signIn(t: Tab): Promise<string> {
    const response = await t.net.fetch(`${harness.server.origin}/api/veo/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: KEY }),
    });
    expect(response.status).toBe(200);
    const { keyId } = sessionStartedSchema.parse(await response.json());
    await t.client.sessionStarted(keyId);
    return keyId;
  }

  const writes = () =>
    harness.server.log.filter(
      (entry) => entry.method !== 'GET' && entry.path.startsWith('/api/veo/jobs'),
    );

  it('shows nothing, sends and pulls nothing, and keeps every job and waiting change', async () => {
    const device = createDevice(harness.server.origin);
    const t = tab(device);
    await signIn(t);
    const synced = uniqueId('synced');
    await t.client.saveJob({ jobId: synced, data: { scenes: [] } });
    await t.client.drain();
    expect((await harness.server.store.getJob(synced))?.info.jobId).toBe(synced);

    expect(await t.client.signOut()).toEqual({ ended: true });
    expect(device.cookies.get('veo_session')).toBeUndefined();
    expect(t.client.getStatus().signedOut).toBe(true);
    expect(await t.client.listJobs()).toEqual([]);
    expect(await t.client.readJob(synced)).toEqual({
      status: 'unavailable',
      reason: SIGNED_OUT_MESSAGE,
    });

    // A save made now is kept (nothing the user wrote is lost) but not sent.
    const waiting = uniqueId('waiting');
    await t.client.saveJob({ jobId: waiting, data: { scenes: [] } });
    const before = writes().length;
    const requestsBefore = t.net.requests.length;
    expect(await t.client.drain({ force: true })).toEqual({ sent: 0, deadLettered: 0 });
    expect((await t.client.pull()).ok).toBe(false);
    expect(writes().length).toBe(before);
    expect(t.net.requests.length).toBe(requestsBefore);
    expect(await harness.server.store.getJob(waiting)).toBeNull();

    const db = await openVeoDb(device.indexedDB);
    expect((await db.getAll('jobs')).map((j) => j.jobId).sort()).toEqual([synced, waiting].sort());
    expect((await db.getAll('outbox')).map((op) => op.jobId)).toEqual([waiting]);
    db.close();
  });

  it('opens again after a sign-in under the same key, and sends what waited', async () => {
    const device = createDevice(harness.server.origin);
    const t = tab(device);
    await signIn(t);
    await t.client.signOut();
    const waiting = uniqueId('after-sign-in');
    await t.client.saveJob({ jobId: waiting, data: { scenes: [{ prompt: 'kept' }] } });

    await signIn(t);
    expect(t.client.getStatus().signedOut).toBe(false);
    expect((await t.client.listJobs()).map((j) => j.jobId)).toContain(waiting);
    await t.client.drain();
    expect((await harness.server.store.getJob(waiting))?.info.jobId).toBe(waiting);
  });

  it('stays locked after a sign-in under another key until the user chooses, and asks nothing to be lost', async () => {
    const device = createDevice(harness.server.origin);
    const t = tab(device);
    await signIn(t);
    await t.client.signOut();
    const waiting = uniqueId('other-key');
    await t.client.saveJob({ jobId: waiting, data: { scenes: [] } });

    // The server's key changed while this device was signed out.
    await t.client.sessionStarted('another-key-id');
    expect(t.client.getStatus()).toMatchObject({ signedOut: true, keyChanged: true, pending: 1 });
    expect(await t.client.listJobs()).toEqual([]);
    expect(await t.client.drain({ force: true })).toEqual({ sent: 0, deadLettered: 0 });

    // Sign in for real (the cookie), then keep the waiting change under the new key.
    const response = await t.net.fetch(`${harness.server.origin}/api/veo/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: KEY }),
    });
    expect(response.status).toBe(200);
    await t.client.adoptKey();
    expect(t.client.getStatus()).toMatchObject({ signedOut: false, keyChanged: false });
    await t.client.drain();
    expect((await harness.server.store.getJob(waiting))?.info.jobId).toBe(waiting);
  });

  it('discards the device’s jobs only when asked to, after a sign-in under another key', async () => {
    const device = createDevice(harness.server.origin);
    const t = tab(device);
    await signIn(t);
    await t.client.signOut();
    await t.client.saveJob({ jobId: uniqueId('discarded'), data: { scenes: [] } });
    await t.client.sessionStarted('another-key-id');
    await t.client.discardDeviceData();
    const db = await openVeoDb(device.indexedDB);
    expect(await db.count('jobs')).toBe(0);
    expect(await db.count('outbox')).toBe(0);
    expect((await db.get('meta', 'sync'))?.keyId).toBe('another-key-id');
    db.close();
    expect(t.client.getStatus().signedOut).toBe(false);
  });

  it('ends the server session of a sign-out made offline as soon as it is back, before anything else', async () => {
    const device = createDevice(harness.server.origin);
    const t = tab(device);
    await signIn(t);
    const cookie = device.cookies.get('veo_session');
    expect(cookie).toBeDefined();
    t.env.setOnline(false);
    t.net.offline = true;
    expect(await t.client.signOut()).toEqual({ ended: false });
    expect(t.client.getStatus().signedOut).toBe(true);

    t.net.offline = false;
    t.env.setOnline(true);
    await t.client.drain({ force: true });
    expect(device.cookies.get('veo_session')).toBeUndefined();
    const db = await openVeoDb(device.indexedDB);
    expect((await db.get('meta', 'sync'))?.revokePending).toBeUndefined();
    db.close();
    // The cookie the device had opens nothing any more.
    const stale = await fetch(`${harness.server.origin}/api/veo/jobs`, {
      headers: { cookie: `veo_session=${cookie}` },
    });
    expect(stale.status).toBe(401);
  });
});
