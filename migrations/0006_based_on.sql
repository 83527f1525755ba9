-- The version of a job its writer held when it saved this one (jobInfoSchema's `basedOn`): the
-- devices compare it with their own writes to tell an edit made without theirs — a conflict they
-- show the user — from one made on top of it. NULL for writes that did not say.
ALTER TABLE veo_jobs ADD COLUMN based_on TEXT;
