'use client';

import { useState, type ReactNode } from 'react';
import type { CachedVeoJob } from '@/lib/shared/job-schema';
import {
  JobUnavailableError,
  deleteCachedJob,
  getCachedJob,
  type JobListItem,
  type ReplacedSummary,
} from '@/lib/veo/cache';
import { downloadBlob } from '@/lib/veo/download';
import { formatBytes, formatTime } from '@/lib/veo/format';
import { exportJob } from '@/lib/veo/job-file';
import { ReplacedNotice } from './ReplacedNotice';
import { useAction } from './use-action';

const SYNC_LABEL = {
  synced: 'Synced',
  pending: 'Waiting to sync',
  failed: 'Not synced',
  saving: 'Saving…',
} as const;

/** Whether the job opens without the network, and which version would open. */
const OFFLINE_LABEL = {
  current: 'Opens offline',
  older: 'Older version on this device (the newest is on its way)',
  none: 'Not on this device yet',
} as const;

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
  /** Opens the job, or (with `replaced`) the user's replaced version of it. */
  onOpen: (job: CachedVeoJob, replaced?: ReplacedSummary) => void;
  /** Called with the job's full content (when it could be read) so the delete can be undone. */
  onDeleted: (job: JobListItem, content: CachedVeoJob | null) => void;
}) {
  const { busy, error, act } = useAction<'open' | 'delete' | 'export'>((cause) =>
    cause instanceof JobUnavailableError
      ? `${cause.message}. It opens again when you are back online.`
      : cause instanceof Error
        ? cause.message
        : String(cause),
  );
  /** A download under way for this row: bytes received, and of how many when known. */
  const [progress, setProgress] = useState<{ received: number; total?: number } | null>(null);
  /** The job's fields, shown on demand: a row is one line of summary, so a screen shows many. */
  const [details, setDetails] = useState(false);
  const title = job.videoId || job.jobId;
  const isSample = job.videoId.startsWith('sample-');

  const read = async (): Promise<CachedVeoJob> => {
    try {
      const content = await getCachedJob(job.jobId, {
        onProgress: (received, total) =>
          setProgress(total === undefined ? { received } : { received, total }),
      });
      if (!content) throw new Error('This job no longer exists.');
      return content;
    } finally {
      setProgress(null);
    }
  };

  const offline = (
    <span className={`offline-${job.onDevice}`} data-testid="offline-state">
      {OFFLINE_LABEL[job.onDevice]}
      {job.storedBytes ? ` · ${formatBytes(job.storedBytes)}` : ''}
    </span>
  );

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
      <p className="job-summary">
        <span>
          {job.sceneCount} {job.sceneCount === 1 ? 'scene' : 'scenes'}
        </span>
        {job.status === 'completed' ? null : (
          <span className={`status-${job.status}`}>{job.status}</span>
        )}
        <span>Updated {formatTime(job.updatedAt)}</span>
        {offline}
      </p>
      {job.replaced ? (
        <ReplacedNotice
          jobId={job.jobId}
          title={title}
          replaced={job.replaced}
          current={job}
          onSee={onOpen}
        />
      ) : null}
      {details ? <JobDetails job={job} /> : null}
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
        {progress ? (
          <span className="progress" role="status" data-testid="download-progress">
            Downloading {formatBytes(progress.received)}
            {progress.total ? ` of ${formatBytes(progress.total)}` : ''}
            {progress.total ? (
              <progress value={progress.received} max={progress.total} aria-hidden="true" />
            ) : null}
          </span>
        ) : null}
        <button
          type="button"
          onClick={() =>
            void act('export', async () => {
              const { name, blob } = exportJob(await read());
              downloadBlob(name, blob);
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
        <button
          type="button"
          className="link"
          aria-expanded={details}
          aria-label={`${details ? 'Hide details' : 'Details'} of ${title}`}
          onClick={() => setDetails(!details)}
        >
          {details ? 'Hide details' : 'Details'}
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

/** Every field of the job's summary, on demand. */
function JobDetails({ job }: { job: JobListItem }) {
  const fields: [string, ReactNode][] = [
    [
      'Video',
      job.videoUrl ? (
        <a href={job.videoUrl} target="_blank" rel="noreferrer noopener">
          {job.videoId || job.videoUrl}
        </a>
      ) : (
        job.videoId || '—'
      ),
    ],
    ['Job', job.jobId],
    ['Scenes', job.sceneCount],
    ['Characters', job.charactersFound],
    ['Mode', job.mode],
    ['Voice', job.voice],
    ['Status', job.status],
    ['Script', job.hasScript ? 'yes' : 'no'],
    ['Created', formatTime(Date.parse(job.createdAt))],
    ['Updated', formatTime(job.updatedAt)],
  ];
  return (
    <dl className="job-meta">
      {fields.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd className={label === 'Status' ? `status-${job.status}` : undefined}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
