import { jobsApi } from '@/lib/server/jobs-api-instance';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

const ALLOW = ['GET', 'PUT', 'DELETE'] as const;

interface RouteContext {
  params: Promise<{ jobId: string }>;
}

export async function GET(request: Request, context: RouteContext): Promise<Response> {
  return jobsApi.get(request, (await context.params).jobId);
}

export async function PUT(request: Request, context: RouteContext): Promise<Response> {
  return jobsApi.put(request, (await context.params).jobId);
}

export async function DELETE(request: Request, context: RouteContext): Promise<Response> {
  return jobsApi.remove(request, (await context.params).jobId);
}

export function POST(request: Request): Promise<Response> {
  return jobsApi.itemMethodNotAllowed(request, ALLOW);
}
export { POST as PATCH };
