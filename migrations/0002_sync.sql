-- What offline-first sync needs on top of the plan's schema (docs/server.md explains each part).

-- Change sequence: every write request takes the next value of veo_sync_state.seq and stamps it
-- on each row it changes, so `GET /api/veo/jobs?since=N` is an index range scan on seq > N.
ALTER TABLE veo_jobs ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
-- Last-writer-wins version: (updated_at, op_id). op_id is the Idempotency-Key of the write that
-- produced this version, so a replayed write compares equal and is a no-op.
ALTER TABLE veo_jobs ADD COLUMN op_id TEXT NOT NULL DEFAULT '';
-- Tombstone: set when the job was deleted (ms). The row stays, without data, until expires_at so
-- that an older write replayed later cannot bring the job back.
ALTER TABLE veo_jobs ADD COLUMN deleted_at INTEGER;
-- Sizes of the stored job document: JSON bytes, gzip bytes, and how many chunk rows hold it.
ALTER TABLE veo_jobs ADD COLUMN data_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE veo_jobs ADD COLUMN data_gzip_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE veo_jobs ADD COLUMN data_chunks INTEGER NOT NULL DEFAULT 0;

CREATE INDEX idx_veo_jobs_seq ON veo_jobs(seq);

-- The gzip-compressed job document, base64, split into rows below D1's 2,000,000-byte row limit.
-- No foreign key: the store deletes chunks explicitly in the same batch as the row they belong to.
CREATE TABLE veo_job_chunks (
  job_id TEXT NOT NULL,
  chunk INTEGER NOT NULL,
  data_base64 TEXT NOT NULL,
  PRIMARY KEY (job_id, chunk)
) WITHOUT ROWID;

CREATE TABLE veo_sync_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  -- The last change sequence handed out.
  seq INTEGER NOT NULL,
  -- The highest seq of a tombstone that cleanup removed: a client whose cursor is below it may
  -- have missed that delete, so its next pull starts over from the full list.
  purged_seq INTEGER NOT NULL
);

-- Rows written by the plan's version of the app are live changes at sequence 1.
INSERT INTO veo_sync_state (id, seq, purged_seq) VALUES (1, 1, 0);
UPDATE veo_jobs SET seq = 1;
