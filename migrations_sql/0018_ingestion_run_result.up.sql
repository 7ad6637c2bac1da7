-- The result of every run that succeeded before ingestion_runs.result existed, from the counts
-- its row kept (the per-file and per-table figures were only in the task's result, so they
-- are missing here).
UPDATE ingestion_runs
   SET result = jsonb_build_object('run_id', id, 'rows_read', rows_read,
                                   'rows_inserted', rows_inserted, 'rows_updated', rows_updated,
                                   'ids_remapped', ids_remapped)
 WHERE status = 'succeeded' AND result IS NULL;
