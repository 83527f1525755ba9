import 'server-only';
import type { D1Executor } from '../d1/executor';

/**
 * Sessions on the server (table `veo_sessions`, migration 0003): a session cookie opens the API
 * only while its row exists, is not revoked and has not expired, so sign-out really ends it.
 * Each method is one D1 request; `isActive` reads one row (the primary key).
 */
export interface SessionStore {
  /** Records a new session; also removes the rows of sessions that have expired. */
  create(sessionId: string, createdAt: number, expiresAt: number): Promise<void>;
  /** Whether the session exists, is not revoked and has not expired at `now`. */
  isActive(sessionId: string, now: number): Promise<boolean>;
  /** Ends one session. */
  revoke(sessionId: string, now: number): Promise<void>;
  /** Ends every session there is (sign out everywhere); returns how many were open. */
  revokeAll(now: number): Promise<number>;
}

export function createSessionStore(executor: D1Executor): SessionStore {
  return {
    async create(sessionId, createdAt, expiresAt) {
      await executor.batch([
        { sql: 'DELETE FROM veo_sessions WHERE expires_at <= ?1', params: [createdAt] },
        {
          sql: 'INSERT INTO veo_sessions (session_id, created_at, expires_at) VALUES (?1, ?2, ?3)',
          params: [sessionId, createdAt, expiresAt],
        },
      ]);
    },
    async isActive(sessionId, now) {
      const [result] = await executor.batch([
        {
          sql: 'SELECT expires_at, revoked_at FROM veo_sessions WHERE session_id = ?1',
          params: [sessionId],
        },
      ]);
      const row = result?.rows[0];
      return row !== undefined && row.revoked_at === null && Number(row.expires_at) > now;
    },
    async revoke(sessionId, now) {
      await executor.batch([
        {
          sql: 'UPDATE veo_sessions SET revoked_at = ?2 WHERE session_id = ?1 AND revoked_at IS NULL',
          params: [sessionId, now],
        },
      ]);
    },
    async revokeAll(now) {
      const [result] = await executor.batch([
        {
          sql: 'UPDATE veo_sessions SET revoked_at = ?1 WHERE revoked_at IS NULL AND expires_at > ?1',
          params: [now],
        },
      ]);
      return result?.changes ?? 0;
    },
  };
}
