import type { JobsApi } from '@/lib/server/jobs-api';

/**
 * What Next's router does for `app/api/veo/jobs/**` and `app/api/veo/job-data`: picks the route handler by path and method,
 * with the job id decoded. For test servers and the simulation, which call the handlers directly.
 */
export async function routeJobsApi(api: JobsApi, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const method = request.method;
  if (url.pathname === '/api/veo/job-data') {
    return method === 'GET' ? api.data(request) : api.methodNotAllowed(['GET']);
  }
  const match = /^\/api\/veo\/jobs(?:\/([^/]+))?$/.exec(url.pathname);
  if (!match) return new Response('not found', { status: 404 });
  if (match[1] === undefined) {
    if (method === 'GET') return api.list(request);
    if (method === 'DELETE') return api.clear(request);
    return api.methodNotAllowed(['GET', 'DELETE']);
  }
  const jobId = decodeURIComponent(match[1]);
  if (method === 'GET') return api.get(request, jobId);
  if (method === 'PUT') return api.put(request, jobId);
  if (method === 'DELETE') return api.remove(request, jobId);
  return api.methodNotAllowed(['GET', 'PUT', 'DELETE']);
}
