/**
 * A job's Veo prompts as people use them: one per scene, numbered, with the scene's time range,
 * ready to paste into Veo or to keep as a text file. Scenes without a prompt are left out; their
 * numbers stay the job's own.
 */
import type { CachedVeoJob } from '@/lib/shared/job-schema';

export interface ScenePrompt {
  /** The scene's number: its own `sceneNumber`, or its place in the job. */
  readonly number: string;
  /** "0s–7s" where the scene has both times. */
  readonly range?: string;
  readonly prompt: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asText = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';

/** The prompt of one scene (as the job's data holds it), or undefined if it has none. */
export function scenePrompt(scene: unknown, index: number): ScenePrompt | undefined {
  if (!isRecord(scene)) return undefined;
  const prompt = asText(scene.prompt).trim();
  if (prompt === '') return undefined;
  const { startTime, endTime } = scene;
  return {
    number: asText(scene.sceneNumber) || String(index + 1),
    ...(typeof startTime === 'number' && typeof endTime === 'number'
      ? { range: `${startTime}s–${endTime}s` }
      : {}),
    prompt,
  };
}

/** One scene's prompt as copied: its heading line, then the prompt. */
export function promptText(scene: ScenePrompt): string {
  return `Scene ${scene.number}${scene.range ? ` · ${scene.range}` : ''}\n${scene.prompt}`;
}

/** Every prompt of the job, in scene order, a blank line between them. */
export function allPrompts(job: CachedVeoJob): ScenePrompt[] {
  return (job.data.scenes ?? []).flatMap((scene, i) => scenePrompt(scene, i) ?? []);
}

export function allPromptsText(job: CachedVeoJob): string {
  return allPrompts(job).map(promptText).join('\n\n');
}

/** The prompts as a text file to download. */
export function promptsFile(job: CachedVeoJob): { name: string; blob: Blob } {
  return {
    name: `veo-prompts-${job.jobId}.txt`,
    blob: new Blob([`${allPromptsText(job)}\n`], { type: 'text/plain;charset=utf-8' }),
  };
}
