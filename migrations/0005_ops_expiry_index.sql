-- Every write also removes the op records past their time (DELETE FROM veo_ops WHERE
-- expires_at <= ?). Without an index that statement read every op kept — one row per write of
-- the last 30 days — in every write: rows D1 bills, and time the database spends.
CREATE INDEX idx_veo_ops_expires ON veo_ops(expires_at);
