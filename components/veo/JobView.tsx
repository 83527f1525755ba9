'use client';

import { useEffect, useRef, useState } from 'react';
import type { CachedVeoJob, CachedVeoJobInfo } from '@/lib/shared/job-schema';
import { downloadBlob } from '@/lib/veo/download';
import {
  allPrompts,
  allPromptsText,
  promptsFile,
  promptText,
  scenePrompt,
} from '@/lib/veo/prompts';
import type { ReplacedSummary } from '@/lib/veo/cache';
import { CopyButton } from './CopyButton';
import { ReplacedNotice } from './ReplacedNotice';

/** Scenes shown at a time: a 400-scene job stays light to render and to scroll. */
export const SCENES_PER_PAGE = 20;

type Fields = Record<string, unknown>;

const isRecord = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A scene's prompt: the first lines, and the rest on request (Veo prompts run long). */
function Prompt({ text: value }: { text: string }) {
  const [full, setFull] = useState(false);
  const long = value.length > 360;
  return (
    <>
      <p className={`scene-prompt${long && !full ? ' clamped' : ''}`}>{value}</p>
      {long ? (
        <button type="button" className="link" aria-expanded={full} onClick={() => setFull(!full)}>
          {full ? 'Show less' : 'Show the whole prompt'}
        </button>
      ) : null}
    </>
  );
}

function Scene({ scene, index }: { scene: unknown; index: number }) {
  if (!isRecord(scene)) return <li className="scene">{text(scene)}</li>;
  const { prompt, summary, sceneNumber, startTime, endTime, ...rest } = scene;
  const forCopy = scenePrompt(scene, index);
  // Short values inline; objects, lists and long texts folded away behind their name.
  const inline = (v: unknown) => !isRecord(v) && !Array.isArray(v) && text(v).length <= 160;
  const simple = Object.entries(rest).filter(([, v]) => inline(v));
  const nested = Object.entries(rest).filter(([, v]) => !inline(v));
  return (
    <li className="scene">
      <h4>
        Scene {text(sceneNumber ?? index + 1)}
        {typeof startTime === 'number' && typeof endTime === 'number'
          ? ` · ${startTime}s–${endTime}s`
          : ''}
      </h4>
      {summary !== undefined ? <p className="scene-summary">{text(summary)}</p> : null}
      {prompt !== undefined ? <Prompt text={text(prompt)} /> : null}
      {forCopy ? (
        <div className="scene-actions">
          <CopyButton
            text={() => promptText(forCopy)}
            label="Copy prompt"
            what={`the prompt of scene ${forCopy.number}`}
          />
        </div>
      ) : null}
      {simple.length > 0 ? (
        <dl className="fields">
          {simple.map(([key, value]) => (
            <div key={key}>
              <dt>{key}</dt>
              <dd>{text(value)}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      {nested.map(([key, value]) => (
        <details key={key}>
          <summary>{key}</summary>
          {/* Focusable so that a keyboard can scroll it. */}
          <pre tabIndex={0} aria-label={key}>
            {typeof value === 'string' ? value : JSON.stringify(value, null, 2)}
          </pre>
        </details>
      ))}
    </li>
  );
}

/**
 * A job: its scenes a page at a time, its characters and its script. With `replaced`, `job` is
 * the user's replaced version of it (lib/client/replaced.ts), shown as such.
 */
export function JobView({
  job,
  replaced,
  current,
  onClose,
}: {
  job: CachedVeoJob;
  replaced?: ReplacedSummary;
  /** With `replaced`: the job as it is now, to compare. */
  current?: CachedVeoJobInfo | undefined;
  onClose: () => void;
}) {
  const scenes = job.data.scenes ?? [];
  const characters = job.data.characters ?? [];
  const pages = Math.max(1, Math.ceil(scenes.length / SCENES_PER_PAGE));
  const [page, setPage] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  const first = page * SCENES_PER_PAGE;
  const isSample = isRecord(job.data) && job.data.sample === true;

  useEffect(() => heading.current?.focus(), [job.jobId, job.version]);

  const pager = (
    <nav className="pager" aria-label="Scene pages">
      <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
        Previous
      </button>
      <span aria-live="polite">
        Scenes {scenes.length === 0 ? 0 : first + 1}–
        {Math.min(first + SCENES_PER_PAGE, scenes.length)} of {scenes.length} · page {page + 1} of{' '}
        {pages}
      </span>
      <button type="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
        Next
      </button>
    </nav>
  );

  return (
    <section
      className={replaced ? 'job-view job-view-replaced' : 'job-view'}
      aria-labelledby="job-view-title"
    >
      <div className="job-view-head">
        <h2 id="job-view-title" ref={heading} tabIndex={-1}>
          {replaced ? 'Your replaced version: ' : null}
          {job.videoId || job.jobId} {isSample ? <span className="badge">Sample</span> : null}
        </h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {replaced ? (
        <ReplacedNotice
          jobId={job.jobId}
          title={job.videoId || job.jobId}
          replaced={replaced}
          {...(current ? { current } : {})}
          onDone={onClose}
        />
      ) : null}
      <p className="muted">
        {job.sceneCount} scenes · {job.charactersFound} characters · {job.mode} · {job.voice} ·{' '}
        {job.status}
      </p>

      {allPrompts(job).length > 0 ? (
        <div className="job-view-actions">
          <CopyButton
            text={() => allPromptsText(job)}
            label="Copy all prompts"
            what={`every scene's prompt of ${job.videoId || job.jobId}, numbered`}
          />
          <button
            type="button"
            onClick={() => {
              const { name, blob } = promptsFile(job);
              downloadBlob(name, blob);
            }}
          >
            Download prompts
          </button>
        </div>
      ) : null}

      <h3>Scenes</h3>
      {pager}
      <ol className="scenes" start={first + 1}>
        {scenes.slice(first, first + SCENES_PER_PAGE).map((scene, i) => (
          <Scene key={first + i} scene={scene} index={first + i} />
        ))}
      </ol>
      {pages > 1 ? pager : null}

      <h3>Characters</h3>
      {characters.length === 0 ? (
        <p className="muted">No characters.</p>
      ) : (
        <ul className="characters">
          {characters.map((character, i) => (
            <li key={i}>
              {isRecord(character) ? (
                <>
                  <strong>{text(character.name ?? `Character ${i + 1}`)}</strong>
                  {character.role !== undefined ? ` (${text(character.role)})` : ''}
                  {character.appearance !== undefined ? <p>{text(character.appearance)}</p> : null}
                </>
              ) : (
                text(character)
              )}
            </li>
          ))}
        </ul>
      )}

      <h3>Script</h3>
      {job.data.script === undefined ? (
        <p className="muted">No script.</p>
      ) : (
        <pre className="script" tabIndex={0} aria-label="Script">
          {text(job.data.script)}
        </pre>
      )}
    </section>
  );
}
