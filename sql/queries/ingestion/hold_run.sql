-- While a worker runs it, a run holds this session-level advisory lock, keyed by the
-- ingestion_runs table and the run's id (advisory_lock.sql uses key 0, never a run id),
-- released by release_run.sql once the run recorded its end, or by PostgreSQL when the
-- worker's connection dies: a row `running` whose lock is free is abandoned
-- (abandoned_runs.sql). (Run ids above 2^31 would need another key.)
-- Parameters: run_id.
SELECT pg_advisory_lock('ingestion_runs'::regclass::oid::integer, %(run_id)s::integer);
