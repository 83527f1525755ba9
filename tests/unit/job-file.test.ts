import { describe, expect, it } from 'vitest';
import { generateSampleJob } from '@/lib/shared/sample-job';
import { formatVersion } from '@/lib/shared/version';
import { exportJob, parseJobFile, readJobFile } from '@/lib/veo/job-file';

describe('job files', () => {
  it('round-trips an exported job through import', async () => {
    const job = {
      ...generateSampleJob({ jobId: 'file-1', sceneCount: 3 }),
      version: formatVersion(1, 0, 'dev'),
    };
    const { name, blob } = exportJob(job);
    expect(name).toBe('veo-job-file-1.json');
    const result = await readJobFile(blob);
    expect(result).toEqual({ ok: true, job });
  });

  it('accepts the API’s { job } answer as a file', () => {
    const job = generateSampleJob({ jobId: 'file-2', sceneCount: 1 });
    expect(parseJobFile(JSON.stringify({ job }))).toEqual({ ok: true, job });
  });

  it.each([
    ['not JSON', 'hello', /not JSON/],
    ['JSON that is not a job', '{"hello": 1}', /not a VEO job: .*jobId/],
    [
      'a job with a bad field',
      JSON.stringify({ ...generateSampleJob({ sceneCount: 1 }), sceneCount: -3 }),
      /sceneCount/,
    ],
  ])('refuses %s with the reason', (_name, text, reason) => {
    const result = parseJobFile(text);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('refuses a file over 20 MB without reading it', async () => {
    const big = {
      size: 21 * 1024 * 1024,
      text: () => Promise.reject(new Error('must not read')),
    } as unknown as Blob;
    const result = await readJobFile(big);
    expect(result.ok).toBe(false);
  });
});
