-- The original plan's schema, verbatim (shared/seed-plan.md, Phase 1).
CREATE TABLE veo_jobs (
  job_id TEXT PRIMARY KEY,
  video_id TEXT NOT NULL DEFAULT '',
  video_url TEXT NOT NULL DEFAULT '',
  scene_count INTEGER NOT NULL DEFAULT 0,
  characters_found INTEGER NOT NULL DEFAULT 0,
  mode TEXT NOT NULL DEFAULT 'hybrid',
  voice TEXT NOT NULL DEFAULT 'no-voice',
  status TEXT NOT NULL DEFAULT 'completed',
  has_script INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  error_json TEXT,
  expires_at INTEGER NOT NULL
);

CREATE TABLE veo_job_data (
  job_id TEXT PRIMARY KEY REFERENCES veo_jobs(job_id) ON DELETE CASCADE,
  data_compressed TEXT NOT NULL
);

CREATE INDEX idx_veo_jobs_updated ON veo_jobs(updated_at DESC);
CREATE INDEX idx_veo_jobs_video ON veo_jobs(video_id);
CREATE INDEX idx_veo_jobs_expires ON veo_jobs(expires_at);
