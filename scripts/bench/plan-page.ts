/**
 * The original plan's history page (shared/seed-plan.md), reduced to what decides its speed:
 * `getCachedJobList()` and `setCachedJob()` as the plan writes them (a fetch with a 5 s
 * AbortController timeout, then the localStorage fallback), a BroadcastChannel message after each
 * write and the other tabs listing again on it (Phase 3 and Phase 4 of the plan), and the list
 * rendered. No service worker: offline, the page itself cannot load.
 */
export const PLAN_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>plan</title></head><body><ul id="jobs"></ul>
<script>
const channel = new BroadcastChannel('veo-jobs');
async function getCachedJobList() {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  try {
    const response = await fetch('/api/veo/jobs', { signal: controller.signal });
    return (await response.json()).jobs;
  } catch {
    const jobs = [];
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key.startsWith('veo_job_')) jobs.push(JSON.parse(localStorage.getItem(key)));
    }
    return jobs.sort((a, b) => b.updatedAt - a.updatedAt);
  } finally {
    clearTimeout(timer);
  }
}
async function setCachedJob(id, job) {
  const body = JSON.stringify(job);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  try {
    const response = await fetch('/api/veo/jobs/' + id, { method: 'PUT', body, signal: controller.signal, headers: { 'content-type': 'application/json' } });
    if (!response.ok) throw new Error('HTTP ' + response.status);
  } catch {
    localStorage.setItem('veo_job_' + id, body);
  } finally {
    clearTimeout(timer);
    channel.postMessage({ type: 'job-updated', jobId: id });
  }
}
function render(jobs) {
  const list = document.getElementById('jobs');
  list.replaceChildren(...jobs.map((j) => {
    const row = document.createElement('li');
    row.className = 'job';
    row.dataset.jobId = j.jobId;
    row.textContent = j.videoId || j.jobId;
    return row;
  }));
}
async function refreshJobs() {
  render(await getCachedJobList());
}
channel.onmessage = () => void refreshJobs();
window.plan = { getCachedJobList, setCachedJob, refreshJobs };
void refreshJobs();
</script></body></html>`;
