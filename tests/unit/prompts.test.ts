import { describe, expect, it } from 'vitest';
import type { CachedVeoJob } from '@/lib/shared/job-schema';
import { allPrompts, allPromptsText, promptText, scenePrompt } from '@/lib/veo/prompts';

const job = {
  jobId: 'j',
  data: {
    scenes: [
      { sceneNumber: 1, startTime: 0, endTime: 7, prompt: '  A tram climbs a hill at dawn.  ' },
      { sceneNumber: 2, prompt: '' },
      'not a scene',
      { startTime: 12, endTime: 20.5, prompt: 'Close on the driver.' },
    ],
  },
} as unknown as CachedVeoJob;

describe("a job's prompts", () => {
  it('takes each scene with a prompt, numbered as the job numbers it, with its time range', () => {
    expect(allPrompts(job)).toEqual([
      { number: '1', range: '0s–7s', prompt: 'A tram climbs a hill at dawn.' },
      { number: '4', range: '12s–20.5s', prompt: 'Close on the driver.' },
    ]);
    expect(scenePrompt({ prompt: 'x' }, 0)).toEqual({ number: '1', prompt: 'x' });
  });

  it('copies as a heading line and the prompt, a blank line between scenes', () => {
    expect(promptText({ number: '3', prompt: 'p' })).toBe('Scene 3\np');
    expect(allPromptsText(job)).toBe(
      'Scene 1 · 0s–7s\nA tram climbs a hill at dawn.\n\nScene 4 · 12s–20.5s\nClose on the driver.',
    );
  });
});
