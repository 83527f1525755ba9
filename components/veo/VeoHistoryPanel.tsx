'use client';

/**
 * The VEO job history: every job on this device, newest first, with what is synced and what is
 * not. It reads only through the cache facade, so it renders from IndexedDB at once, online or
 * not, and updates itself when any tab, the service worker or a pull changes something.
 */
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import type { CachedVeoJob } from '@/lib/shared/job-schema';
import { generateSampleJobInput } from '@/lib/shared/sample-job';
import {
  JobUnavailableError,
  clearAllJobs,
  deleteCachedJob,
  getCachedJob,
  getCachedJobList,
  getSyncClient,
  setCachedJob,
  subscribe,
  syncNow,
  syncStatus,
  type JobListItem,
  type SyncStatus,
} from '@/lib/veo/cache';
import { activateUpdate, serviceWorkerState } from '@/lib/veo/service-worker';

const SCENES_PER_PAGE = 25;

function useSyncStatus(): SyncStatus | null {
  return useSyncExternalStore(
    (onChange) => syncStatus.subscribe(onChange),
    () => syncStatus.get(),
    () => null,
  );
}

function useServiceWorkerState() {
  return useSyncExternalStore(
    (onChange) => serviceWorkerState.subscribe(onChange),
    () => serviceWorkerState.get(),
    () => null,
  );
}

function timeAgo(ms: number | null, now: number): string {
  if (ms === null) return 'never';
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 10) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  return new Date(ms).toLocaleString();
}

export function VeoHistoryPanel() {
  const [jobs, setJobs] = useState<JobListItem[] | null>(null);
  const [open, setOpen] = useState<{ job: CachedVeoJob; page: number } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const status = useSyncStatus();
  const worker = useServiceWorkerState();
  const [now, setNow] = useState(() => Date.now());

  const refresh = useCallback(async () => {
    setJobs(await getCachedJobList());
  }, []);

  useEffect(() => {
    getSyncClient();
    void refresh();
    const stop = subscribe(() => void refresh());
    const tick = setInterval(() => setNow(Date.now()), 15_000);
    return () => {
      stop();
      clearInterval(tick);
    };
  }, [refresh]);

  async function run(label: string, action: () => Promise<void>) {
    setBusy(label);
    setMessage(null);
    try {
      await action();
    } catch (error) {
      setMessage(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(null);
    }
  }

  const addSample = () =>
    run('sample', async () => {
      const seed = Math.floor(Math.random() * 1_000_000);
      const job = generateSampleJobInput({
        jobId: `sample-${seed}`,
        seed,
        sceneCount: 40,
        sample: true,
      });
      await setCachedJob(job.jobId, job);
    });

  const openJob = (jobId: string) =>
    run(`open-${jobId}`, async () => {
      try {
        const job = await getCachedJob(jobId);
        if (job) setOpen({ job, page: 0 });
        else setMessage('This job no longer exists.');
      } catch (error) {
        if (error instanceof JobUnavailableError)
          setMessage(`Cannot open ${jobId}: ${error.message}`);
        else throw error;
      }
    });

  const scenes = open?.job.data.scenes ?? [];
  const pages = Math.max(1, Math.ceil(scenes.length / SCENES_PER_PAGE));

  return (
    <div className="history">
      <header className="history-header">
        <h1>VEO job history</h1>
        <p className="sync-line" role="status" aria-live="polite" data-testid="sync-status">
          {status === null
            ? 'Loading…'
            : [
                status.online ? 'Online' : 'Offline',
                status.pending > 0 ? `${status.pending} waiting to sync` : 'All changes synced',
                status.syncing || worker?.workerSyncing
                  ? 'syncing…'
                  : `last synced ${timeAgo(status.lastSyncedAt, now)}`,
                status.authRequired ? 'sign in needed' : null,
                status.lastError && status.pending > 0 ? `(${status.lastError})` : null,
              ]
                .filter(Boolean)
                .join(' · ')}
        </p>
        <div className="actions">
          <button type="button" onClick={() => void run('sync', syncNow)} disabled={busy !== null}>
            Sync now
          </button>
          <button type="button" onClick={() => void addSample()} disabled={busy !== null}>
            Add a sample job
          </button>
          <button
            type="button"
            disabled={busy !== null || !jobs?.length}
            onClick={() => {
              if (window.confirm('Delete every job on every device?'))
                void run('clear', clearAllJobs);
            }}
          >
            Clear all
          </button>
        </div>
        {worker?.updateReady ? (
          <p className="update" role="alert">
            A new version is ready.{' '}
            <button type="button" onClick={activateUpdate}>
              Reload to update
            </button>
          </p>
        ) : null}
        {status?.deadLetters.length ? (
          <ul className="dead-letters" aria-label="Changes the server refused">
            {status.deadLetters.map((letter) => (
              <li key={letter.opId}>
                {letter.kind} {letter.jobId}: {letter.message}{' '}
                <button
                  type="button"
                  onClick={() =>
                    void run('retry', () => getSyncClient().retryDeadLetter(letter.opId))
                  }
                >
                  Retry
                </button>{' '}
                <button
                  type="button"
                  onClick={() =>
                    void run('discard', () => getSyncClient().discardDeadLetter(letter.opId))
                  }
                >
                  Discard
                </button>
              </li>
            ))}
          </ul>
        ) : null}
        {message ? (
          <p className="error" role="alert">
            {message}
          </p>
        ) : null}
      </header>

      {jobs === null ? (
        <p aria-busy="true">Loading your jobs…</p>
      ) : jobs.length === 0 ? (
        <p className="empty">
          No jobs yet. Jobs appear here when the VEO pipeline finishes one, on any of your devices —
          or add a sample job to try it out.
        </p>
      ) : (
        <ul className="job-list" aria-label="Jobs">
          {jobs.map((job) => (
            <li key={job.jobId} className="job" data-job-id={job.jobId}>
              <div className="job-title">
                <strong>{job.videoId || job.jobId}</strong>{' '}
                <span className={`sync sync-${job.syncState}`} data-testid="sync-state">
                  {job.syncState === 'failed' ? `failed: ${job.syncError ?? ''}` : job.syncState}
                </span>
              </div>
              <div className="job-meta">
                {job.sceneCount} scenes · {job.charactersFound} characters · {job.mode} ·{' '}
                {job.voice} · {job.status}
                {job.hasScript ? ' · script' : ''} · updated{' '}
                {new Date(job.updatedAt).toLocaleString()}
                {job.availableOffline ? ' · on this device' : ''}
              </div>
              <div className="job-actions">
                <button
                  type="button"
                  onClick={() => void openJob(job.jobId)}
                  disabled={busy !== null}
                >
                  Open
                </button>
                <button
                  type="button"
                  onClick={() => {
                    if (window.confirm(`Delete ${job.videoId || job.jobId}?`)) {
                      void run(`delete-${job.jobId}`, () => deleteCachedJob(job.jobId));
                    }
                  }}
                  disabled={busy !== null}
                >
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}

      {open ? (
        <section className="job-view" aria-label={`Job ${open.job.jobId}`}>
          <h2>
            {open.job.videoId || open.job.jobId}{' '}
            <button type="button" onClick={() => setOpen(null)}>
              Close
            </button>
          </h2>
          <ol start={open.page * SCENES_PER_PAGE + 1}>
            {scenes
              .slice(open.page * SCENES_PER_PAGE, (open.page + 1) * SCENES_PER_PAGE)
              .map((scene, i) => (
                <li key={i} className="scene">
                  {typeof scene === 'object' && scene !== null && 'prompt' in scene
                    ? String(scene.prompt)
                    : JSON.stringify(scene)}
                </li>
              ))}
          </ol>
          <nav aria-label="Scene pages">
            <button
              type="button"
              disabled={open.page === 0}
              onClick={() => setOpen({ ...open, page: open.page - 1 })}
            >
              Previous
            </button>{' '}
            Page {open.page + 1} of {pages}{' '}
            <button
              type="button"
              disabled={open.page + 1 >= pages}
              onClick={() => setOpen({ ...open, page: open.page + 1 })}
            >
              Next
            </button>
          </nav>
        </section>
      ) : null}
    </div>
  );
}
