'use client';

import { useState, type FormEvent } from 'react';
import { apiErrorBodySchema, sessionStartedSchema } from '@/lib/shared/api-types';
import { getSyncClient } from '@/lib/veo/cache';

/**
 * Sign-in with the server's access key. Jobs saved while signed out wait on the device; they are
 * sent once this succeeds.
 */
export function SignInForm() {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const response = await fetch('/api/veo/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key }),
      });
      if (response.ok) {
        const started = sessionStartedSchema.safeParse(await response.json().catch(() => null));
        // Opens this device again if it was signed out under the same key (and sends what waited).
        if (started.success) await getSyncClient().sessionStarted(started.data.keyId);
        window.location.assign('/veo');
        return;
      }
      const body = apiErrorBodySchema.safeParse(await response.json().catch(() => null));
      setError(
        body.success ? body.data.error.message : `The server answered HTTP ${response.status}`,
      );
    } catch {
      setError(
        'The server cannot be reached. Your jobs are safe on this device; sign in when you are back online.',
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="sign-in" onSubmit={(event) => void submit(event)}>
      <h1>Sign in</h1>
      <p className="muted">
        Enter the access key of this VEO server to sync your job history across your devices.
      </p>
      <label htmlFor="access-key">Access key</label>
      <input
        id="access-key"
        name="key"
        type="password"
        autoComplete="current-password"
        required
        value={key}
        onChange={(event) => setKey(event.target.value)}
      />
      <button type="submit" disabled={busy || key.length === 0}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <p>
        <a href="/veo">Back to your jobs</a>
      </p>
    </form>
  );
}
