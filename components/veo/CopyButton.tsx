'use client';

import { useEffect, useRef, useState } from 'react';

/** How long "Copied" stays beside the button (ms). */
const CONFIRMATION_MS = 2_000;

/**
 * Copies text to the clipboard and says so where screen readers hear it (a status region). Where
 * the browser does not allow it (no Clipboard API, permission refused, an insecure origin), the
 * text is shown selected in a box to copy by hand instead.
 */
export function CopyButton({
  text,
  label,
  what,
}: {
  /** Made when the button is pressed: long texts are not built for every render. */
  text: () => string;
  /** The button's text ("Copy prompt"). */
  label: string;
  /** What is copied, for its accessible name ("the prompt of scene 3"). */
  what: string;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'by-hand'>('idle');
  const [byHand, setByHand] = useState('');
  const box = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (state === 'by-hand') box.current?.select();
    if (state !== 'copied') return;
    const timer = setTimeout(() => setState('idle'), CONFIRMATION_MS);
    return () => clearTimeout(timer);
  }, [state]);

  async function copy() {
    const value = text();
    try {
      if (!navigator.clipboard?.writeText) throw new Error('no Clipboard API here');
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setByHand(value);
      setState('by-hand');
    }
  }

  return (
    <>
      <button type="button" onClick={() => void copy()} aria-label={`${label}: ${what}`}>
        {label}
      </button>
      <span role="status" className="copied">
        {state === 'copied' ? 'Copied' : ''}
      </span>
      {state === 'by-hand' ? (
        <div className="copy-by-hand">
          <label>
            This browser did not let the page copy. Select and copy it here (Ctrl+C or ⌘C):
            <textarea ref={box} readOnly value={byHand} rows={6} />
          </label>
          <button type="button" onClick={() => setState('idle')}>
            Done
          </button>
        </div>
      ) : null}
    </>
  );
}
