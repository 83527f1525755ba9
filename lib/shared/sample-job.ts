/**
 * Deterministic, realistic VEO jobs: what the pipeline produces for a video (scenes with long
 * structured Veo prompts, a cast of characters repeated scene after scene, a script). Used by
 * tests and benchmarks, and by the history page to offer a first-run sample job. The same seed
 * always gives the same job, byte for byte.
 */
import type { CachedVeoJob } from './job-schema';

export interface SampleJobOptions {
  readonly jobId?: string;
  readonly sceneCount?: number;
  readonly seed?: number;
  /** ms since the epoch; also derives createdAt. */
  readonly updatedAt?: number;
  /** Marks the job as a sample in its data and video id, so nobody mistakes it for real work. */
  readonly sample?: boolean;
}

const SUBJECTS = [
  'a weathered lighthouse keeper',
  'a young cartographer',
  'an old fisherman',
  'a street violinist',
  'a courier on a red bicycle',
  'a botanist in a glasshouse',
  'two children with a kite',
  'a night-shift baker',
  'a mountain guide',
  'a clockmaker',
];
const PLACES = [
  'a storm-lashed harbour at dusk',
  'a narrow cobbled alley after rain',
  'a sunlit greenhouse full of ferns',
  'a crowded night market',
  'a misty pine forest at dawn',
  'a rooftop garden above the city',
  'a quiet library with tall windows',
  'a desert highway at golden hour',
  'a snow-covered mountain hut',
  'a busy train platform',
];
const ACTIONS = [
  'turns slowly toward the camera',
  'unfolds a creased map on the table',
  'laughs and wipes rain from their face',
  'lifts a lantern against the wind',
  'steps through a doorway into bright light',
  'pauses, listening to distant music',
  'kneels to pick up a fallen letter',
  'runs along the edge of the platform',
  'pours steaming tea into two cups',
  'looks up as the first snow falls',
];
const CAMERA = [
  'slow dolly-in',
  'handheld tracking shot',
  'low-angle crane up',
  'static wide shot',
  'over-the-shoulder close-up',
  'orbiting medium shot',
  'rack focus from foreground to subject',
  'aerial pull-back',
];
const LIGHT = [
  'soft overcast daylight',
  'warm tungsten practicals',
  'hard rim light from a low sun',
  'cool moonlight with sodium street lamps',
  'flickering firelight',
  'neon reflections on wet surfaces',
];
const STYLE = [
  '35mm film grain, shallow depth of field',
  'anamorphic lens flares, 2.39:1',
  'naturalistic documentary look',
  'painterly colour grade, muted greens',
  'high-contrast noir palette',
  'pastel tones, gentle bloom',
];
const MOODS = ['hopeful', 'melancholic', 'tense', 'serene', 'playful', 'nostalgic'];
// A small vocabulary: real Veo prompts repeat their subjects, settings and cast scene after scene,
// and compress about as well as this text does (the plan measured 3–7 MB jobs at 0.3–1 MB gzip).
const WORDS = (
  'the light moves across weathered wood while dust drifts in the air and a distant bell rings ' +
  'over water as gulls wheel above the rooftops and the wind carries salt and smoke through open ' +
  'windows where curtains lift and fall with every breath of the evening'
).split(' ');

/** A small fast PRNG (mulberry32): the same seed gives the same sequence everywhere. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Generates a job. 200 scenes come to about 3.6 MB of JSON (0.9 MB gzip), as real pipeline output does. */
export function generateSampleJob(options: SampleJobOptions = {}): Omit<CachedVeoJob, 'version'> {
  const seed = options.seed ?? 1;
  const rand = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const sentence = (words: number): string => {
    const out: string[] = [];
    for (let i = 0; i < words; i++) out.push(pick(WORDS));
    const text = out.join(' ');
    return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  };
  const paragraph = (sentences: number): string =>
    Array.from({ length: sentences }, () => sentence(12 + Math.floor(rand() * 10))).join(' ');

  const sceneCount = options.sceneCount ?? 200;
  const updatedAt = options.updatedAt ?? 1_790_000_000_000 + seed * 1000;
  const jobId = options.jobId ?? `job-${seed}`;
  const sample = options.sample ?? false;

  const characters = Array.from({ length: 3 + Math.floor(rand() * 3) }, (_, i) => ({
    id: `char-${i + 1}`,
    name: pick(['Ada', 'Bruno', 'Chiara', 'Dev', 'Elif', 'Femi', 'Greta', 'Hiro']) + ` ${i + 1}`,
    role: pick(['protagonist', 'mentor', 'stranger', 'friend', 'rival']),
    appearance: paragraph(10),
    wardrobe: paragraph(5),
    voice: pick(['warm baritone', 'bright alto', 'soft-spoken tenor', 'raspy mezzo']),
    consistencyNotes: paragraph(5),
  }));

  let clock = 0;
  const scenes = Array.from({ length: sceneCount }, (_, i) => {
    const duration = 4 + Math.floor(rand() * 5);
    const start = clock;
    clock += duration;
    const cast = characters.filter(() => rand() < 0.5);
    const subject = pick(SUBJECTS);
    const place = pick(PLACES);
    const action = pick(ACTIONS);
    const camera = pick(CAMERA);
    const light = pick(LIGHT);
    const style = pick(STYLE);
    return {
      sceneNumber: i + 1,
      startTime: start,
      endTime: clock,
      summary: `${subject} ${action} in ${place}.`,
      prompt: `${subject[0]?.toUpperCase()}${subject.slice(1)} ${action} in ${place}. ${paragraph(80)} Camera: ${camera}. Lighting: ${light}. Style: ${style}.`,
      veo: {
        subject,
        action,
        setting: place,
        camera: {
          movement: camera,
          lens: pick(['24mm', '35mm', '50mm', '85mm']),
          framing: pick(['wide', 'medium', 'close-up']),
        },
        lighting: light,
        style,
        mood: pick(MOODS),
        characters: cast.map((c) => ({
          id: c.id,
          name: c.name,
          appearance: c.appearance,
          wardrobe: c.wardrobe,
        })),
        audio: {
          ambience: sentence(10),
          music: sentence(8),
          dialogue: cast.length > 0 ? sentence(14) : null,
        },
        negativePrompt: 'text overlays, watermarks, distorted hands, flicker, extra limbs',
        durationSeconds: duration,
      },
      shots: Array.from({ length: 3 }, (_, k) => ({
        shot: k + 1,
        camera: pick(CAMERA),
        description: paragraph(10),
      })),
      notes: paragraph(25),
    };
  });

  const script = scenes
    .map((s) => `SCENE ${s.sceneNumber}\n${s.summary}\n${s.veo.audio.dialogue ?? ''}`)
    .join('\n\n');
  const createdAt = new Date(updatedAt - 60_000).toISOString();

  return {
    jobId,
    videoId: sample ? `sample-${seed}` : `vid-${seed.toString(36)}`,
    videoUrl: sample
      ? ''
      : `https://www.youtube.com/watch?v=${seed.toString(36).padStart(11, 'x')}`,
    sceneCount,
    charactersFound: characters.length,
    mode: 'hybrid',
    voice: 'no-voice',
    status: 'completed',
    hasScript: true,
    createdAt,
    updatedAt,
    error: null,
    expiresAt: updatedAt + 30 * 86_400_000,
    data: {
      ...(sample ? { sample: true } : {}),
      scenes,
      characters,
      script,
    },
  };
}

/**
 * A generated job as the pipeline hands it to `setCachedJob`: without the times, which the save
 * stamps (a job generated for a past date would otherwise arrive already expired).
 */
export function generateSampleJobInput(options: SampleJobOptions = {}) {
  const { createdAt: _c, updatedAt: _u, expiresAt: _e, ...job } = generateSampleJob(options);
  return job;
}
