-- /metrics: the histogram of finished ingestion runs' durations: for each status and each
-- upper bound (seconds), how many runs took at most that long.
SELECT r.status, b.le, count(*) FILTER (WHERE extract(epoch FROM r.finished_at - r.started_at) <= b.le)
  FROM ingestion_runs AS r
 CROSS JOIN unnest(%(bounds)s::float8[]) AS b(le)
 WHERE r.started_at IS NOT NULL AND r.finished_at IS NOT NULL
 GROUP BY r.status, b.le
 ORDER BY r.status, b.le;
