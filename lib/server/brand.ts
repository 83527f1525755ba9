import 'server-only';

/**
 * A base class for errors whose `instanceof` holds across copies of a module. Next.js compiles
 * instrumentation.ts apart from the route handlers, and the job store opened there is shared with
 * the routes through globalThis: an error the store throws is then an instance of the other
 * copy's class, a plain `instanceof` in a route fails, and a known error (a job too large, D1
 * unavailable) was answered as an unexpected 500. Instances carry a registered symbol named by
 * `brand` — the same in every copy (class names are not: bundlers may rename them) — and
 * `instanceof` tests for it.
 */
export function BrandedError(brand: string) {
  const mark = Symbol.for(`veo-sync.${brand}`);
  return class extends Error {
    static override [Symbol.hasInstance](value: unknown): boolean {
      return typeof value === 'object' && value !== null && mark in value;
    }
    constructor(...args: ConstructorParameters<typeof Error>) {
      super(...args);
      Object.defineProperty(this, mark, { value: true });
    }
  };
}
