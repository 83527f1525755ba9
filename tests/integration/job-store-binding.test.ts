import type { D1Executor } from '@/lib/server/d1/executor';
import { createTestD1 } from '../support/miniflare-d1';
import { describeJobStoreContract } from './job-store.contract';

describeJobStoreContract('D1 binding (Miniflare)', async () => {
  const d1 = await createTestD1();
  let requests = 0;
  const executor: D1Executor = {
    batch(statements, signal) {
      requests++;
      return d1.executor.batch(statements, signal);
    },
  };
  return { executor, requestCount: () => requests, dispose: () => d1.dispose() };
});
