-- One ingestion run at a time: a transaction-level advisory lock keyed by the ingestion_runs
-- table, released when the run's transaction commits or rolls back. A second run waits here.
SELECT pg_advisory_xact_lock('ingestion_runs'::regclass::oid::integer, 0);
