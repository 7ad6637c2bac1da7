-- Runs whose worker died: the row says running, but no session holds the run's lock
-- (hold_run.sql). Each is marked failed, not refused (the same files may load on a rerun),
-- with abandoned true in its report; returns the ids marked. Rows are locked first
-- (SKIP LOCKED), so two sessions never mark one run twice.
-- Parameter: task_id (only that run's row; NULL: every run).
UPDATE ingestion_runs AS r
   SET status = 'failed',
       finished_at = now(),
       error_report = jsonb_build_object(
           'message', 'the worker running this ingestion stopped before the run ended (its '
                      'process died or lost its database connection); nothing was loaded. '
                      'Start the run again.', 'total_problems', 0,
                                         'problems', '[]'::jsonb, 'refused', false,
                                         'abandoned', true)
 WHERE r.id IN (SELECT c.id FROM ingestion_runs AS c
                 WHERE c.status = 'running'
                   AND (%(task_id)s::text IS NULL OR c.task_id = %(task_id)s::text)
                   FOR UPDATE SKIP LOCKED)
   AND r.status = 'running'
   AND NOT EXISTS (
        SELECT 1 FROM pg_locks AS l
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid = 'ingestion_runs'::regclass::oid
           AND l.objid = r.id::oid)
RETURNING r.id;
