/**
 * A browser's cookie store, for one simulated device: keeps what `Set-Cookie` answers set (by
 * name and path; `Max-Age=0` removes) and sends the cookies whose path matches, like a browser
 * does for same-origin fetches. HttpOnly is moot here: no script reads this jar.
 */
export function createCookieJar() {
  const cookies = new Map<string, { value: string; path: string }>();
  return {
    /** Wraps a fetch so its requests carry the jar's cookies and its answers update it. */
    wrap(inner: typeof fetch): typeof fetch {
      return async (input, init) => {
        const request = new Request(input, init);
        const path = new URL(request.url).pathname;
        const sent = [...cookies]
          .filter(([, c]) => path.startsWith(c.path))
          .map(([name, c]) => `${name}=${c.value}`);
        const headers = new Headers(request.headers);
        if (sent.length > 0) headers.set('cookie', sent.join('; '));
        const response = await inner(new Request(request, { headers }));
        for (const line of response.headers.getSetCookie()) {
          const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
          const eq = pair.indexOf('=');
          const name = pair.slice(0, eq);
          const attribute = (key: string) =>
            attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
          if (attribute('max-age') === '0') cookies.delete(name);
          else cookies.set(name, { value: pair.slice(eq + 1), path: attribute('path') ?? '/' });
        }
        return response;
      };
    },
    /** The cookie header value the jar would send to `path`. */
    get(name: string): string | undefined {
      return cookies.get(name)?.value;
    },
  };
}
