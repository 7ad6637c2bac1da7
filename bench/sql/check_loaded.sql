-- After an end-to-end run: what landed, and the current_debt invariant (README, "Data model"; must be 0).
SELECT (SELECT count(*) FROM customers),
       (SELECT count(*) FROM loans),
       (SELECT count(*) FROM customers AS c JOIN customer_active_debt AS d USING (customer_id)
         WHERE c.current_debt <> d.active_debt),
       (SELECT string_agg(status || ' ' || extract(epoch FROM finished_at - started_at)::text,
                          ', ' ORDER BY id)
          FROM ingestion_runs
         WHERE task_id IS NOT NULL AND started_at IS NOT NULL);
