import { jobsApi } from '@/lib/server/jobs-api-instance';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

const ALLOW = ['GET', 'DELETE'] as const;

export function GET(request: Request): Promise<Response> {
  return jobsApi.list(request);
}

export function DELETE(request: Request): Promise<Response> {
  return jobsApi.clear(request);
}

export function POST(): Response {
  return jobsApi.methodNotAllowed(ALLOW);
}
export { POST as PUT, POST as PATCH };
