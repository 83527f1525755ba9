import { ApiError } from '@/lib/server/api-error';
import { asItemAnswer } from '@/lib/server/jobs-api';

/** `/api/veo/jobs/:jobId`, as next.config.js matches it for its Content-Encoding header. */
const ITEM_ROUTE = /^\/api\/veo\/jobs\/[^/]+$/;

/**
 * Runs before the API routes. A path that does not percent-decode (`/api/veo/jobs/%ZZ`) makes
 * Next.js itself fail while matching the route, and it answered a plain-text 500 without the
 * security headers; here it becomes the API's JSON 400, before Next tries to decode it.
 */
export async function proxy(request: Request): Promise<Response | undefined> {
  const { pathname } = new URL(request.url);
  try {
    decodeURIComponent(pathname);
    return undefined;
  } catch {
    const refusal = new ApiError(
      'invalid_request',
      'The path is not valid: it has a malformed percent-encoding',
    ).toResponse();
    return ITEM_ROUTE.test(pathname) ? asItemAnswer(request, refusal) : refusal;
  }
}

export const config = { matcher: '/api/:path*' };
