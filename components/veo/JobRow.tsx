'use client';

import { useState } from 'react';
import type { CachedVeoJob } from '@/lib/shared/job-schema';
import {
  JobUnavailableError,
  deleteCachedJob,
  getCachedJob,
  type JobListItem,
} from '@/lib/veo/cache';
import { exportJob } from '@/lib/veo/job-file';

const SYNC_LABEL = { synced: 'Synced', pending: 'Waiting to sync', failed: 'Not synced' } as const;

const formatTime = (ms: number) =>
  new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function download(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/**
 * One job in the history. Its actions run here, with their own pending state and their errors
 * shown on the row they belong to.
 */
export function JobRow({
  job,
  onOpen,
  onDeleted,
}: {
  job: JobListItem;
  onOpen: (job: CachedVeoJob) => void;
  /** Called with the job's full content (when it could be read) so the delete can be undone. */
  onDeleted: (job: JobListItem, content: CachedVeoJob | null) => void;
}) {
  const [busy, setBusy] = useState<'open' | 'delete' | 'export' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const title = job.videoId || job.jobId;
  const isSample = job.videoId.startsWith('sample-');

  async function act(action: 'open' | 'delete' | 'export', run: () => Promise<void>) {
    setBusy(action);
    setError(null);
    try {
      await run();
    } catch (cause) {
      setError(
        cause instanceof JobUnavailableError
          ? `${cause.message}. It opens again when you are back online.`
          : cause instanceof Error
            ? cause.message
            : String(cause),
      );
    } finally {
      setBusy(null);
    }
  }

  const read = async (): Promise<CachedVeoJob> => {
    const content = await getCachedJob(job.jobId);
    if (!content) throw new Error('This job no longer exists.');
    return content;
  };

  return (
    <li className="job" data-job-id={job.jobId} aria-busy={busy !== null}>
      <div className="job-title">
        <h3>
          {title} {isSample ? <span className="badge">Sample</span> : null}
        </h3>
        <span
          className={`sync sync-${job.syncState}`}
          data-testid="sync-state"
          title={job.syncError}
        >
          {SYNC_LABEL[job.syncState]}
        </span>
      </div>
      <dl className="job-meta">
        <div>
          <dt>Video</dt>
          <dd>
            {job.videoUrl ? (
              <a href={job.videoUrl} target="_blank" rel="noreferrer noopener">
                {job.videoId || job.videoUrl}
              </a>
            ) : (
              job.videoId || '—'
            )}
          </dd>
        </div>
        <div>
          <dt>Scenes</dt>
          <dd>{job.sceneCount}</dd>
        </div>
        <div>
          <dt>Characters</dt>
          <dd>{job.charactersFound}</dd>
        </div>
        <div>
          <dt>Mode</dt>
          <dd>{job.mode}</dd>
        </div>
        <div>
          <dt>Voice</dt>
          <dd>{job.voice}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd className={`status-${job.status}`}>{job.status}</dd>
        </div>
        <div>
          <dt>Script</dt>
          <dd>{job.hasScript ? 'yes' : 'no'}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatTime(Date.parse(job.createdAt))}</dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd>{formatTime(job.updatedAt)}</dd>
        </div>
        <div>
          <dt>Offline</dt>
          <dd>{job.availableOffline ? 'on this device' : 'fetched when opened'}</dd>
        </div>
      </dl>
      {job.syncState === 'failed' && job.syncError ? (
        <p className="error">The server refused the last change: {job.syncError}</p>
      ) : null}
      <div className="job-actions">
        <button
          type="button"
          onClick={() => void act('open', async () => onOpen(await read()))}
          disabled={busy !== null}
          aria-label={`Open ${title}`}
        >
          {busy === 'open' ? 'Opening…' : 'Open'}
        </button>
        <button
          type="button"
          onClick={() =>
            void act('export', async () => {
              const { name, blob } = exportJob(await read());
              download(name, blob);
            })
          }
          disabled={busy !== null}
          aria-label={`Export ${title} as JSON`}
        >
          {busy === 'export' ? 'Exporting…' : 'Export'}
        </button>
        <button
          type="button"
          onClick={() => {
            if (!window.confirm(`Delete “${title}” on every device?`)) return;
            void act('delete', async () => {
              const content = job.availableOffline
                ? await getCachedJob(job.jobId).catch(() => null)
                : null;
              await deleteCachedJob(job.jobId);
              onDeleted(job, content);
            });
          }}
          disabled={busy !== null}
          aria-label={`Delete ${title}`}
        >
          {busy === 'delete' ? 'Deleting…' : 'Delete'}
        </button>
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </li>
  );
}
