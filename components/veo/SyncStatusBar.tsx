'use client';

import { useEffect, useState, useSyncExternalStore } from 'react';
import { getSyncClient, syncNow, syncStatus, type SyncStatus } from '@/lib/veo/cache';
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
  return new Date(ms).toLocaleString();
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

  const [session, setSession] = useState<{ required: boolean; signedIn: boolean } | null>(null);

  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(tick);
  }, []);

  useEffect(() => {
    // Offline this simply fails: the sign-out button appears once the server has answered.
    void fetch('/api/veo/session')
      .then(async (response) =>
        response.ok
          ? setSession((await response.json()) as { required: boolean; signedIn: boolean })
          : undefined,
      )
      .catch(() => undefined);
  }, [status?.authRequired]);

  const signOut = async () => {
    await fetch('/api/veo/session', { method: 'DELETE' });
    window.location.assign('/veo/sign-in');
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
        {session?.required && session.signedIn ? (
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        ) : null}
      </div>
      {status?.authRequired ? (
        <p className="warning" role="alert">
          Sign in again to sync: your changes are kept on this device until then.{' '}
          <a href="/veo/sign-in">Sign in</a>
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
