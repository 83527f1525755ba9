import 'server-only';
import { getAccessGuard } from './access-instance';
import { createJobsApi } from './jobs-api';
import { getJobStore } from './store-instance';

/** The jobs API as the route handlers serve it: the process's store, behind its access guard. */
export const jobsApi = createJobsApi({ getStore: getJobStore, getAccess: getAccessGuard });
