-- /metrics: the ingestion runs by status, with their summed duration (runs that started and
-- finished) and rows, and when the last run of each status finished (epoch seconds).
SELECT status,
       count(*) AS runs,
       count(*) FILTER (WHERE started_at IS NOT NULL AND finished_at IS NOT NULL) AS timed_runs,
       coalesce(sum(extract(epoch FROM finished_at - started_at)), 0)::float8 AS seconds,
       coalesce(sum(rows_read), 0) AS rows_read,
       coalesce(sum(rows_inserted), 0) AS rows_inserted,
       coalesce(sum(rows_updated), 0) AS rows_updated,
       coalesce(sum(ids_remapped), 0) AS ids_remapped,
       max(extract(epoch FROM finished_at))::float8 AS last_finished
  FROM ingestion_runs
 GROUP BY status
 ORDER BY status;
