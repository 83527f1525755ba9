import { ApiError } from '@/lib/server/api-error';

/**
 * Runs before the API routes. A path that does not percent-decode (`/api/veo/jobs/%ZZ`) makes
 * Next.js itself fail while matching the route, and it answered a plain-text 500 without the
 * security headers; here it becomes the API's JSON 400, before Next tries to decode it.
 */
export function proxy(request: Request): Response | undefined {
  try {
    decodeURIComponent(new URL(request.url).pathname);
    return undefined;
  } catch {
    return new ApiError(
      'invalid_request',
      'The path is not valid: it has a malformed percent-encoding',
    ).toResponse();
  }
}

export const config = { matcher: '/api/:path*' };
