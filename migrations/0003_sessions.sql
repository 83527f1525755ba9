-- Sign-in sessions, so that signing out ends a session on the server and not only in the
-- browser (docs/security.md). A session cookie names its row; a row that is missing, revoked or
-- past expires_at opens nothing. Rows are removed once expired, on the next sign-in.
CREATE TABLE veo_sessions (
  session_id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  -- Set by sign-out (this session) or sign-out everywhere (every session); ms.
  revoked_at INTEGER
) WITHOUT ROWID;
