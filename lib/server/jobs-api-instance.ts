import 'server-only';
import { createJobsApi } from './jobs-api';
import { getJobStore } from './store-instance';

/** The jobs API as the route handlers serve it, on the process's store. */
export const jobsApi = createJobsApi({ getStore: getJobStore });
