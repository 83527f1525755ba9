import { restExecutor } from '@/lib/server/d1/rest';
import { withRetries } from '@/lib/server/d1/retry';
import { startD1RestServer } from '../support/d1-rest-server';
import { createTestD1 } from '../support/miniflare-d1';
import { describeJobStoreContract } from './job-store.contract';

describeJobStoreContract('D1 REST API (loopback server on Miniflare)', async () => {
  const d1 = await createTestD1();
  const server = await startD1RestServer(d1.db);
  const executor = withRetries(
    restExecutor({
      accountId: server.accountId,
      databaseId: server.databaseId,
      apiToken: server.token,
      baseUrl: server.baseUrl,
    }),
  );
  return {
    executor,
    requestCount: () => server.requests.length,
    dispose: async () => {
      await server.close();
      await d1.dispose();
    },
  };
});
