-- Causal versions (docs/sync-rules.md): who wins is decided by hybrid-logical-clock versions,
-- not by wall-clock updated_at, which stays as the time shown to people.

-- The version of the job's winning write ('' for a row that is only a tombstone), and the
-- tombstone: the greatest version any delete or clear-all covered. Live iff version > deleted_up_to.
ALTER TABLE veo_jobs ADD COLUMN version TEXT NOT NULL DEFAULT '';
ALTER TABLE veo_jobs ADD COLUMN deleted_up_to TEXT;

-- Rows written before: a live job's version is its updated_at (node "0"); a tombstone covered
-- every version up to the end of the millisecond it was dated.
UPDATE veo_jobs SET version = printf('%015d.000000.0', updated_at) WHERE deleted_at IS NULL;
UPDATE veo_jobs SET deleted_up_to = printf('%015d.999999.~', deleted_at) WHERE deleted_at IS NOT NULL;

-- Every op the server received, by its op id (Idempotency-Key): an op id names exactly one body
-- (its SHA-256), so a replay is answered as the first time and a reuse for other content is
-- refused. Kept for the job TTL, like tombstones.
CREATE TABLE veo_ops (
  op_id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  -- What the op did: 1 it took effect, 0 it lost. NULL only inside the batch that received it
  -- first: the statements of a write take effect only then, so a replay changes nothing.
  applied INTEGER,
  seq INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The horizon: the greatest version a purged row (an expired job or tombstone) held. A write or
-- delete at or below it is refused as too old: nothing it could still override is remembered.
ALTER TABLE veo_sync_state ADD COLUMN horizon TEXT NOT NULL DEFAULT '';
