'use client';

import type { CachedVeoJob, CachedVeoJobInfo, JobId } from '@/lib/shared/job-schema';
import { getSyncClient, type ReplacedSummary } from '@/lib/veo/cache';
import { formatTime } from '@/lib/veo/format';
import { useAction } from './use-action';

/**
 * Says that the user's own edit of a job, made on this device, lost to a newer version saved
 * elsewhere before it synced — and offers what to do about it: look at it, keep it (saved again
 * as the newest version, everywhere) or dismiss it. The device keeps it until then, for a while
 * (lib/client/replaced.ts). Shown on the job's row, and above the replaced version when it is
 * open (without "See yours" there).
 */
export function ReplacedNotice({
  jobId,
  title,
  replaced,
  current,
  onSee,
  onDone,
}: {
  jobId: JobId;
  title: string;
  replaced: ReplacedSummary;
  /** The job as it is now, to say how the user's version differs from it. */
  current?: CachedVeoJobInfo;
  /** Opens the replaced version; absent where it is what is shown. */
  onSee?: (job: CachedVeoJob, replaced: ReplacedSummary) => void;
  /** After it was kept or dismissed. */
  onDone?: () => void;
}) {
  const { busy, error, act } = useAction<'see' | 'keep' | 'dismiss'>();
  const version = replaced.info.version;
  const differences = current ? describeDifferences(replaced.info, current) : undefined;

  return (
    <div className="replaced" role="group" aria-label={`Your replaced version of ${title}`}>
      <p>
        <strong>Your edit was replaced.</strong> Another device saved a newer version of this job
        before yours had synced. Yours, saved here at {formatTime(replaced.info.updatedAt)}, is kept
        on this device until {formatTime(replaced.keptUntil)}.
        {differences ? ` ${differences}` : null}
      </p>
      <div className="replaced-actions">
        {onSee ? (
          <button
            type="button"
            disabled={busy !== null}
            aria-label={`See yours: your replaced version of ${title}`}
            onClick={() =>
              void act('see', async () => {
                const kept = await getSyncClient().readReplaced(jobId);
                if (!kept) throw new Error('Your version is no longer kept on this device.');
                onSee(kept.job, kept.replaced);
              })
            }
          >
            {busy === 'see' ? 'Opening…' : 'See yours'}
          </button>
        ) : null}
        <button
          type="button"
          disabled={busy !== null}
          aria-label={`Keep yours: save your version of ${title} again, as the newest`}
          onClick={() =>
            void act('keep', async () => {
              await getSyncClient().keepReplaced(jobId, version);
              onDone?.();
            })
          }
        >
          {busy === 'keep' ? 'Keeping…' : 'Keep yours'}
        </button>
        <button
          type="button"
          disabled={busy !== null}
          aria-label={`Dismiss your replaced version of ${title}`}
          onClick={() => {
            if (!window.confirm(`Forget your replaced version of “${title}”?`)) return;
            void act('dismiss', async () => {
              await getSyncClient().dismissReplaced(jobId, version);
              onDone?.();
            });
          }}
        >
          {busy === 'dismiss' ? 'Dismissing…' : 'Dismiss'}
        </button>
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** What a person compares at a glance: the summary fields in which two versions differ. */
const COMPARED: readonly [keyof CachedVeoJobInfo, (info: CachedVeoJobInfo) => string][] = [
  ['sceneCount', (i) => `${i.sceneCount} ${i.sceneCount === 1 ? 'scene' : 'scenes'}`],
  ['charactersFound', (i) => `${i.charactersFound} characters`],
  ['mode', (i) => `mode ${i.mode}`],
  ['voice', (i) => `voice ${i.voice}`],
  ['status', (i) => i.status],
  ['hasScript', (i) => (i.hasScript ? 'a script' : 'no script')],
];

/**
 * "Yours: 118 scenes, voice narrator. Now: 120 scenes, voice no-voice." — or, when the summaries
 * are alike, that the difference is in the scenes themselves.
 */
export function describeDifferences(mine: CachedVeoJobInfo, now: CachedVeoJobInfo): string {
  const differ = COMPARED.filter(([key]) => mine[key] !== now[key]);
  if (differ.length === 0) return 'The two differ in what their scenes say.';
  const list = (info: CachedVeoJobInfo) => differ.map(([, show]) => show(info)).join(', ');
  return `Yours: ${list(mine)}. Now: ${list(now)}.`;
}
