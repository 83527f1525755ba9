import { toErrorResponse } from '@/lib/server/api-error';
import { getAccessGuard } from '@/lib/server/access-instance';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

async function answer(run: () => Promise<Response> | Response): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    return toErrorResponse(error);
  }
}

/** Whether this server needs a sign-in, and whether the caller has one. */
export function GET(request: Request): Promise<Response> {
  return answer(async () => (await getAccessGuard()).status(request));
}

/** Sign in with `{ "key": "…" }`. */
export function POST(request: Request): Promise<Response> {
  return answer(async () => (await getAccessGuard()).signIn(request));
}

/** Sign out. */
export function DELETE(request: Request): Promise<Response> {
  return answer(async () => (await getAccessGuard()).signOut(request));
}
