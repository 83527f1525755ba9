'use client';

/**
 * The VEO job history: every job on this device, newest first, with what is synced and what is
 * not. It reads only through the cache facade, so it renders from IndexedDB at once, online or
 * not, and updates itself when any tab, the service worker or a pull changes something.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { CachedVeoJob } from '@/lib/shared/job-schema';
import { generateSampleJobInput } from '@/lib/shared/sample-job';
import {
  clearAllJobs,
  getJobList,
  isJobPending,
  setCachedJob,
  syncStatus,
  type JobListItem,
  type ReplacedSummary,
} from '@/lib/veo/cache';
import { LOADING_ROWS_HTML } from '@/lib/veo/early-rows';
import { ALL_JOBS, isFiltered, searchJobs, type JobQuery } from '@/lib/veo/find-jobs';
import { readJobFile } from '@/lib/veo/job-file';
import { JobFinder } from './JobFinder';
import { JOB_LIST_PAGE, JobList } from './JobList';
import { JobView } from './JobView';
import { SyncStatusBar } from './SyncStatusBar';
import { usePromptSearch } from './use-prompt-search';

// The device's list is read while React hydrates the page (this module is evaluated first), so
// it is on screen in the first render after hydration, not one IndexedDB round trip later.
if (typeof window !== 'undefined') getJobList();

/**
 * The device's list, kept up to date. Taken in a layout effect: right after hydration, before the
 * browser paints, so the first frame after hydration shows the jobs (the prerendered page says
 * "Loading": the list is the device's, never the server's).
 */
function useJobList(): readonly JobListItem[] | null {
  const [jobs, setJobs] = useState<readonly JobListItem[] | null>(null);
  useLayoutEffect(() => {
    const list = getJobList();
    setJobs(list.get());
    return list.subscribe(() => setJobs(list.get()));
  }, []);
  return jobs;
}

interface Deleted {
  readonly job: JobListItem;
  readonly content: CachedVeoJob | null;
}

export function VeoHistoryPanel() {
  const jobs = useJobList();
  const [query, setQueryState] = useState<JobQuery>(ALL_JOBS);
  const prompts = usePromptSearch(query.text.trim() !== '');
  const search = useMemo(
    () => (jobs ? searchJobs(jobs, query, prompts.words) : null),
    [jobs, query, prompts.words],
  );
  const found = search?.jobs ?? null;
  // A page of rows at a time (JobList); a new search starts from the first page.
  const [limit, setLimit] = useState(JOB_LIST_PAGE);
  const setQuery = (next: JobQuery) => {
    setQueryState(next);
    setLimit(JOB_LIST_PAGE);
  };
  /** The job on screen: the job, or the user's replaced version of it (`replaced`). */
  const [open, setOpen] = useState<{ job: CachedVeoJob; replaced?: ReplacedSummary } | null>(null);
  const [busy, setBusy] = useState<'sample' | 'import' | 'clear' | 'undo' | null>(null);
  const [toolbarError, setToolbarError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [deleted, setDeleted] = useState<Deleted | null>(null);
  const [undoable, setUndoable] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const signedOut = useSyncExternalStore(
    (onChange) => syncStatus.subscribe(onChange),
    () => syncStatus.get().signedOut,
    () => false,
  );

  useEffect(() => {
    // The first effect runs right after hydration: a mark for measuring what follows it.
    performance.mark('veo:hydrated');
  }, []);

  // Signed out on this device: the open job goes off the screen with the list.
  useEffect(() => {
    if (signedOut) setOpen(null);
  }, [signedOut, jobs]);

  // Undo stays offered while the delete is still waiting in the outbox.
  useEffect(() => {
    if (!deleted?.content) {
      setUndoable(false);
      return;
    }
    const check = () => void isJobPending(deleted.job.jobId).then(setUndoable);
    check();
    return syncStatus.subscribe(check);
  }, [deleted]);

  async function act(kind: NonNullable<typeof busy>, run: () => Promise<string | null>) {
    setBusy(kind);
    setToolbarError(null);
    try {
      setNotice(await run());
    } catch (error) {
      setToolbarError(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(null);
    }
  }

  const addSample = () =>
    act('sample', async () => {
      const seed = Math.floor(Math.random() * 1_000_000);
      const job = generateSampleJobInput({
        jobId: `sample-${seed}`,
        seed,
        sceneCount: 40,
        sample: true,
      });
      await setCachedJob(job.jobId, job);
      return `Added the sample job ${job.jobId}.`;
    });

  const importFile = (file: File) =>
    act('import', async () => {
      const result = await readJobFile(file);
      if (!result.ok) throw new Error(`${file.name} was not imported. ${result.reason}`);
      await setCachedJob(result.job.jobId, result.job);
      return `Imported ${result.job.videoId || result.job.jobId}.`;
    });

  const clearAll = () => {
    if (
      !window.confirm(
        'Delete every job, on every device? Jobs saved later on another device are kept.',
      )
    )
      return;
    void act('clear', async () => {
      await clearAllJobs();
      setOpen(null);
      return 'Cleared every job.';
    });
  };

  const undo = () => {
    const content = deleted?.content;
    if (!content) return;
    void act('undo', async () => {
      const { updatedAt: _u, expiresAt: _e, ...job } = content;
      await setCachedJob(job.jobId, job);
      setDeleted(null);
      return `Restored ${job.videoId || job.jobId}.`;
    });
  };

  return (
    <div className="history">
      <header className="history-header">
        <h1>VEO job history</h1>
        <SyncStatusBar />
      </header>

      <section className="toolbar" aria-label="Jobs">
        <button type="button" onClick={() => void addSample()} disabled={busy !== null}>
          {busy === 'sample' ? 'Adding…' : 'Add a sample job'}
        </button>
        <button type="button" onClick={() => fileInput.current?.click()} disabled={busy !== null}>
          {busy === 'import' ? 'Importing…' : 'Import a job file'}
        </button>
        <input
          ref={fileInput}
          type="file"
          accept="application/json,.json"
          hidden
          aria-label="Job file to import"
          data-testid="import-file"
          onChange={(event) => {
            const file = event.target.files?.[0];
            event.target.value = '';
            if (file) void importFile(file);
          }}
        />
        <button type="button" onClick={clearAll} disabled={busy !== null || !jobs?.length}>
          {busy === 'clear' ? 'Clearing…' : 'Clear all'}
        </button>
      </section>
      <div aria-live="polite" className="notices">
        {toolbarError ? (
          <p className="error" role="alert">
            {toolbarError}
          </p>
        ) : null}
        {notice ? <p className="notice">{notice}</p> : null}
        {deleted ? (
          <p className="notice">
            Deleted {deleted.job.videoId || deleted.job.jobId}.{' '}
            {undoable ? (
              <button type="button" onClick={undo} disabled={busy !== null}>
                Undo
              </button>
            ) : deleted.content ? (
              'The delete has reached the server.'
            ) : null}
          </p>
        ) : null}
      </div>

      {jobs && jobs.length > 0 && !signedOut ? (
        <JobFinder
          query={query}
          onChange={setQuery}
          shown={found?.length ?? 0}
          total={jobs.length}
          rows={Math.min(found?.length ?? 0, limit)}
          unsearched={search?.unsearched}
          indexing={prompts.busy || !prompts.ready}
        />
      ) : null}

      <div className={open ? 'layout with-view' : 'layout'}>
        {jobs === null ? (
          // Until the device's list is read: "Loading", or the rows the service worker put into
          // the page it served (lib/veo/early-rows.ts). React does not hydrate the inside of an
          // element set with dangerouslySetInnerHTML, so they stay until the live list replaces
          // them; inert meanwhile, as their buttons do nothing yet.
          <div
            className="early-rows"
            inert
            suppressHydrationWarning
            dangerouslySetInnerHTML={{ __html: LOADING_ROWS_HTML }}
          />
        ) : signedOut ? (
          <div className="empty" data-testid="signed-out">
            <h2>Signed out on this device</h2>
            <p>
              Your jobs, and any changes still waiting to sync, stay on this device, locked: they
              are neither shown nor sent until you sign in again with the same access key.
            </p>
            <p>
              <a href="/veo/sign-in">Sign in</a>
            </p>
          </div>
        ) : jobs.length === 0 ? (
          <div className="empty">
            <h2>No jobs yet</h2>
            <p>
              Jobs appear here when the VEO pipeline finishes one — on this device or any other
              where you use the app. They stay available offline.
            </p>
            <p>
              To try it now, add a sample job: it is clearly marked, and you can delete it
              afterwards.
            </p>
          </div>
        ) : isFiltered(query) && found?.length === 0 ? (
          <div className="empty" data-testid="no-match">
            <p>No job matches this search.</p>
            <button type="button" onClick={() => setQuery(ALL_JOBS)}>
              Show every job
            </button>
          </div>
        ) : (
          <JobList
            jobs={found ?? jobs}
            limit={limit}
            onShowMore={() => setLimit((shown) => shown + JOB_LIST_PAGE)}
            onOpen={(job, replaced) => setOpen(replaced ? { job, replaced } : { job })}
            onDeleted={(gone, content) => {
              setDeleted({ job: gone, content });
              setNotice(null);
              if (open?.job.jobId === gone.jobId) setOpen(null);
            }}
          />
        )}
        {open ? (
          <JobView
            key={`${open.job.jobId} ${open.job.version}`}
            job={open.job}
            {...(open.replaced
              ? { replaced: open.replaced, current: jobs?.find((j) => j.jobId === open.job.jobId) }
              : {})}
            onClose={() => setOpen(null)}
          />
        ) : null}
      </div>
    </div>
  );
}
