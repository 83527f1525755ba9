import { jobsApi } from '@/lib/server/jobs-api-instance';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

const ALLOW = ['GET'] as const;

/** Several jobs' stored data at once, for a device catching up (lib/shared/api-types.ts). */
export function GET(request: Request): Promise<Response> {
  return jobsApi.data(request);
}

export function POST(): Response {
  return jobsApi.methodNotAllowed(ALLOW);
}
export { POST as PUT, POST as PATCH, POST as DELETE };
