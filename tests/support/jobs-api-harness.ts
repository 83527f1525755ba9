import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Tab } from './device';
import { startJobsApiServer, type JobsApiServer } from './jobs-api-server';

/**
 * A jobs API server for one test file (started before its tests, closed after them), the tabs a
 * test opened (closed after that test), and ids unique across the file's tests — they share the
 * server.
 */
export function useJobsApiServer(options: Parameters<typeof startJobsApiServer>[0] = {}) {
  let server: JobsApiServer | undefined;
  const tabs: Tab[] = [];
  let counter = 0;
  beforeAll(async () => {
    server = await startJobsApiServer(options);
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(async () => {
    await Promise.all(tabs.splice(0).map((t) => t.client.close()));
  });
  return {
    get server(): JobsApiServer {
      if (!server) throw new Error('useJobsApiServer: the server is not started yet');
      return server;
    },
    /** Closes `tab` after the test. */
    track(tab: Tab): Tab {
      tabs.push(tab);
      return tab;
    },
    uniqueId: (name: string) => `${name}-${++counter}-${Date.now()}`,
  };
}
