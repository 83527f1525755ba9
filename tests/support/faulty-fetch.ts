/** A failure the next request meets instead of (or after) reaching the server. */
export type NetworkFault =
  /** The device is offline: fetch rejects at once. */
  | 'offline'
  /** The request is sent and never answered (until it is aborted). */
  | 'hang'
  /** The server receives and applies the request, then the connection drops before the answer. */
  | 'drop-after-apply'
  /** A synthetic answer from "the server" without reaching it. */
  | { readonly status: number; readonly retryAfter?: string; readonly body?: unknown };

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  /** Bytes of the body as sent on the wire. */
  readonly bodyBytes: number;
  /** What happened to it. */
  readonly outcome: 'sent' | 'offline' | 'hang' | 'dropped' | 'synthetic';
}

export interface FaultyFetch {
  readonly fetch: typeof fetch;
  readonly requests: RecordedRequest[];
  /** While true, every request fails as offline. */
  offline: boolean;
  /** Queues faults: each meets one request, in order. */
  inject(...faults: NetworkFault[]): void;
  /** Every request whose URL contains `part` fails as offline, until unblocked. */
  block(part: string): void;
  unblock(part: string): void;
}

/**
 * Wraps a real fetch with the failures a flaky connection produces, and records every request
 * (method, URL, headers, wire bytes) for tests to assert on.
 */
export function createFaultyFetch(inner: typeof fetch = fetch): FaultyFetch {
  const faults: NetworkFault[] = [];
  const requests: RecordedRequest[] = [];
  const blocked = new Set<string>();
  const state: FaultyFetch = {
    offline: false,
    requests,
    inject: (...more) => faults.push(...more),
    block: (part) => void blocked.add(part),
    unblock: (part) => void blocked.delete(part),
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
      const record = (outcome: RecordedRequest['outcome']) =>
        requests.push({
          method: request.method,
          url: request.url,
          headers: Object.fromEntries(request.headers),
          bodyBytes: body?.byteLength ?? 0,
          outcome,
        });
      const fault =
        state.offline || [...blocked].some((part) => request.url.includes(part))
          ? 'offline'
          : faults.shift();
      if (fault === 'offline') {
        record('offline');
        throw new TypeError('fetch failed: network is offline');
      }
      if (fault === 'hang') {
        record('hang');
        return new Promise<Response>((_, reject) => {
          const abort = () =>
            reject(
              request.signal.reason instanceof Error
                ? request.signal.reason
                : new DOMException('Aborted', 'AbortError'),
            );
          if (request.signal.aborted) abort();
          request.signal.addEventListener('abort', abort, { once: true });
        });
      }
      if (typeof fault === 'object') {
        record('synthetic');
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        const payload = fault.body ?? {
          error: {
            code: fault.status === 401 ? 'unauthorized' : 'invalid_request',
            message: `injected ${fault.status}`,
          },
        };
        return new Response(JSON.stringify(payload), { status: fault.status, headers });
      }
      const forwarded = new Request(request.url, {
        method: request.method,
        headers: request.headers,
        signal: request.signal,
        ...(body ? { body } : {}),
      });
      const response = await inner(forwarded);
      if (fault === 'drop-after-apply') {
        await response.arrayBuffer();
        record('dropped');
        throw new TypeError('fetch failed: connection reset after the request was sent');
      }
      record('sent');
      return response;
    },
  };
  return state;
}
