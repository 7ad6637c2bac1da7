-- The end of a run: its lock of hold_run.sql is released (its row already says how it ended).
-- Parameters: run_id.
SELECT pg_advisory_unlock('ingestion_runs'::regclass::oid::integer, %(run_id)s::integer);
