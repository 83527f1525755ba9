'use client';

import { useEffect, useState, useSyncExternalStore } from 'react';
import { sessionStatusSchema, type SessionStatus } from '@/lib/shared/api-types';
import { getSyncClient, syncNow, syncStatus, type SyncStatus } from '@/lib/veo/cache';
import { formatBytes, formatTime } from '@/lib/veo/format';
import { activateUpdate, serviceWorkerState } from '@/lib/veo/service-worker';
import { InstallButton } from './InstallButton';

function useSyncStatus(): SyncStatus | null {
  return useSyncExternalStore(
    (onChange) => syncStatus.subscribe(onChange),
    () => syncStatus.get(),
    () => null,
  );
}

/** "just now", "3 min ago", or the date. */
export function timeAgo(ms: number | null, now: number): string {
  if (ms === null) return 'never';
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 10) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  return formatTime(ms);
}

/**
 * The status line, always visible: online or not, what waits, when the device last synced, and
 * what needs the user (sign in, refused changes, an update). Changes are announced politely.
 */
export function SyncStatusBar() {
  const status = useSyncStatus();
  const worker = useSyncExternalStore(
    (onChange) => serviceWorkerState.subscribe(onChange),
    () => serviceWorkerState.get(),
    () => null,
  );
  const [now, setNow] = useState(() => Date.now());
  const [syncError, setSyncError] = useState<string | null>(null);
  const [syncing, setSyncing] = useState(false);

  const [session, setSession] = useState<SessionStatus | null>(null);
  const [signingOut, setSigningOut] = useState(false);

  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(tick);
  }, []);

  useEffect(() => {
    // Offline this simply fails: the sign-out button appears once the server has answered.
    void fetch('/api/veo/session')
      .then(async (response) => {
        const parsed = sessionStatusSchema.safeParse(
          response.ok ? await response.json() : undefined,
        );
        if (!parsed.success) return;
        setSession(parsed.data);
        if (parsed.data.keyId) await getSyncClient().noteSessionKey(parsed.data.keyId);
      })
      .catch(() => undefined);
  }, [status?.authRequired, status?.signedOut]);

  /** Locks this device's jobs first (that works offline), then ends the session on the server. */
  const signOut = async (everywhere: boolean) => {
    setSigningOut(true);
    try {
      await getSyncClient().signOut({ everywhere });
      window.location.assign('/veo/sign-in');
    } finally {
      setSigningOut(false);
    }
  };

  const discardDeviceData = async () => {
    const pending = status?.pending ?? 0;
    const sure = window.confirm(
      `Discard every job on this device${pending > 0 ? ` and the ${pending} ${pending === 1 ? 'change' : 'changes'} waiting to sync` : ''}? Jobs already on the server stay there.`,
    );
    if (sure) await getSyncClient().discardDeviceData();
  };

  const sync = async () => {
    setSyncing(true);
    setSyncError(null);
    try {
      await syncNow();
    } catch (error) {
      setSyncError(error instanceof Error ? error.message : String(error));
    } finally {
      setSyncing(false);
    }
  };

  const busy = syncing || status?.syncing === true || worker?.workerSyncing === true;
  const parts =
    status === null
      ? ['Loading…']
      : [
          status.online ? 'Online' : 'Offline',
          status.pending > 0
            ? `${status.pending} ${status.pending === 1 ? 'change' : 'changes'} waiting to sync`
            : 'All changes synced',
          busy ? 'syncing…' : `last synced ${timeAgo(status.lastSyncedAt, now)}`,
        ];

  return (
    <section className="status-bar" aria-label="Sync status">
      <p
        className={`sync-line ${status?.online === false ? 'offline' : ''}`}
        role="status"
        aria-live="polite"
        data-testid="sync-status"
      >
        <span
          className={`dot ${status?.online === false ? 'dot-offline' : status?.pending ? 'dot-pending' : 'dot-ok'}`}
          aria-hidden="true"
        />
        {parts.join(' · ')}
      </p>
      <div className="actions">
        <button type="button" onClick={() => void sync()} disabled={busy} aria-busy={busy}>
          {busy ? 'Syncing…' : 'Sync now'}
        </button>
        <InstallButton />
        {session?.required && session.signedIn && !status?.signedOut ? (
          <>
            <button type="button" onClick={() => void signOut(false)} disabled={signingOut}>
              Sign out
            </button>
            <button type="button" onClick={() => void signOut(true)} disabled={signingOut}>
              Sign out everywhere
            </button>
          </>
        ) : null}
      </div>
      {status?.keyChanged ? (
        <div className="warning" role="alert" data-testid="key-changed">
          <p>
            You signed in with a different access key than the one this device’s jobs were saved
            under.
            {status.pending > 0
              ? ` ${status.pending} ${status.pending === 1 ? 'change is' : 'changes are'} waiting from before.`
              : ''}
          </p>
          <button type="button" onClick={() => void getSyncClient().adoptKey()}>
            Keep them and sync with this key
          </button>{' '}
          <button type="button" onClick={() => void discardDeviceData()}>
            Discard this device’s jobs
          </button>
        </div>
      ) : null}
      {status?.authRequired && !status.signedOut ? (
        <p className="warning" role="alert">
          Sign in again to sync: your changes are kept on this device until then.{' '}
          <a href="/veo/sign-in">Sign in</a>
        </p>
      ) : null}
      {status && status.replica.jobs > 0 ? (
        <p className="muted" data-testid="storage-line">
          {status.replica.current} of {status.replica.jobs}{' '}
          {status.replica.jobs === 1 ? 'job opens' : 'jobs open'} offline on this device
          {status.replica.bytes > 0 ? ` · ${formatBytes(status.replica.bytes)}` : ''}
          {status.replica.older > 0 ? ` · ${status.replica.older} with an older version` : ''}
          {status.replication.state === 'running' ? ' · bringing the rest…' : ''}
          {status.replication.state === 'stopped' &&
          status.replication.reason === 'failed' &&
          status.replica.current < status.replica.jobs
            ? ` · the rest could not be downloaded${status.replication.message ? ` (${status.replication.message})` : ''}; tried again on the next sync`
            : ''}
          {status.replication.state === 'stopped' && status.replication.reason === 'storage'
            ? `. Storage is nearly full: ${status.replication.remaining} ${status.replication.remaining === 1 ? 'job is' : 'jobs are'} not on this device (the newest and the most recently opened are kept)`
            : ''}
        </p>
      ) : null}
      {status?.storageProblem ? (
        <p className="warning" role="alert" data-testid="storage-problem">
          {status.storageProblem}.
        </p>
      ) : null}
      {status?.lastError && status.pending > 0 ? (
        <p className="muted" data-testid="sync-error">
          Last attempt: {status.lastError}. Your changes are safe on this device and will be sent
          automatically.
        </p>
      ) : null}
      {syncError ? (
        <p className="error" role="alert">
          {syncError}
        </p>
      ) : null}
      {status?.deadLetters.length ? (
        <div className="dead-letters">
          <h2>Changes the server refused</h2>
          <ul>
            {status.deadLetters.map((letter) => (
              <li key={letter.opId}>
                <span>
                  {letter.kind === 'clear'
                    ? 'Clear all'
                    : `${letter.kind === 'delete' ? 'Delete' : 'Save'} of ${letter.jobId}`}
                  : {letter.message}
                </span>{' '}
                <button
                  type="button"
                  onClick={() => void getSyncClient().retryDeadLetter(letter.opId)}
                >
                  Retry
                </button>{' '}
                <button
                  type="button"
                  onClick={() => void getSyncClient().discardDeadLetter(letter.opId)}
                >
                  Discard
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {worker?.updateReady ? (
        <p className="update" role="alert">
          A new version is ready.{' '}
          <button type="button" onClick={activateUpdate}>
            Reload to update
          </button>
        </p>
      ) : null}
    </section>
  );
}
