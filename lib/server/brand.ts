import 'server-only';

/**
 * `instanceof` for classes whose instances cross copies of a module. Next.js compiles
 * instrumentation.ts apart from the route handlers, and the job store opened there is shared with
 * the routes through globalThis: an error the store throws is then an instance of the other
 * copy's class, a plain `instanceof` in a route fails, and a known error (a job too large, D1
 * unavailable) was answered as an unexpected 500. A class marks its instances with a registered
 * symbol — the same in every copy — and tests for it in `static [Symbol.hasInstance]`.
 */
export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && brand in value;
}
