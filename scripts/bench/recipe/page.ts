/**
 * The Workbox recipe's page: registers its worker with workbox-window, lists the jobs from
 * `GET /api/veo/jobs` (answered by the worker's NetworkFirst: the network, else after 3 s or on
 * a network error its cache), and saves with a plain `fetch` PUT of the job's JSON (gzip-encoded
 * only when it is over the API's 4 MiB body limit, as the API asks), which the worker queues for
 * Background Sync when the network fails — the page then sees the fetch reject.
 *
 * Workbox has nothing for other tabs. Like the plan (a BroadcastChannel message after each write,
 * the other tabs list again), this page posts on a BroadcastChannel after each save, queued or
 * not, and every other tab of the origin then lists the jobs again through the worker.
 */
import { Workbox } from 'workbox-window';

interface JobRow {
  jobId: string;
  videoId: string;
  version?: string;
}

const channel = new BroadcastChannel('recipe-jobs');
const list = document.getElementById('jobs') as HTMLUListElement;

function render(jobs: readonly JobRow[]): void {
  list.replaceChildren(
    ...jobs.map((job) => {
      const row = document.createElement('li');
      row.className = 'job';
      row.dataset.jobId = job.jobId;
      if (job.version) row.dataset.version = job.version;
      row.textContent = job.videoId || job.jobId;
      return row;
    }),
  );
}

/** Lists the jobs again and renders them; resolves false when no list could be had. */
async function refresh(): Promise<boolean> {
  try {
    const response = await fetch('/api/veo/jobs');
    if (!response.ok) return false;
    render(((await response.json()) as { jobs: JobRow[] }).jobs);
    return true;
  } catch {
    return false;
  }
}

/** The API refuses request bodies over 4 MiB on the wire and says to send large jobs gzipped. */
const MAX_WIRE_BYTES = 4 * 1024 * 1024;

/** The PUT body: the job's JSON, gzip-encoded only when it would not fit the API's limit. */
async function requestBody(
  job: Record<string, unknown>,
): Promise<{ body: BodyInit; gzip: boolean }> {
  const json = new Blob([JSON.stringify(job)], { type: 'application/json' });
  if (json.size <= MAX_WIRE_BYTES) return { body: json, gzip: false };
  const gzip = json.stream().pipeThrough(new CompressionStream('gzip'));
  return { body: await new Response(gzip).blob(), gzip: true };
}

/**
 * Saves a job with PUT. Resolves with the server's status, or with `queued` when the fetch
 * rejected: the worker's BackgroundSyncPlugin has then stored the request for a replay.
 */
async function saveJob(
  jobId: string,
  job: Record<string, unknown>,
): Promise<{ status: number; queued: boolean }> {
  let outcome: { status: number; queued: boolean };
  try {
    const { body, gzip } = await requestBody(job);
    const response = await fetch(`/api/veo/jobs/${encodeURIComponent(jobId)}`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      },
      body,
    });
    outcome = { status: response.status, queued: false };
  } catch {
    outcome = { status: 0, queued: true };
  }
  channel.postMessage({ jobId });
  void refresh();
  return outcome;
}

/** Opens a job (`GET /api/veo/jobs/:id`), which also leaves it in the worker's cache. */
async function openJob(jobId: string): Promise<unknown> {
  const response = await fetch(`/api/veo/jobs/${encodeURIComponent(jobId)}`);
  return ((await response.json()) as { job: unknown }).job;
}

const ready = new Promise<void>((resolve) => {
  if (navigator.serviceWorker.controller) resolve();
  else navigator.serviceWorker.addEventListener('controllerchange', () => resolve());
});
void new Workbox('/sw.js').register();

channel.onmessage = () => void refresh();
(globalThis as { recipe?: unknown }).recipe = { ready, saveJob, openJob, refresh };
void refresh();
