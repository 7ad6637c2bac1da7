-- The loan_id of every loan row that does not simply keep its file Loan ID, decided before
-- anything is written (ingest_loan_ids: row_no, loan_id, is_new):
--   * a (customer, Loan ID) pair already loaded keeps its loan_id forever (is_new false);
--   * a new pair keeps its file Loan ID (no row here) unless a loan has that id or an earlier
--     new row (in file order) takes it; then it gets a fresh id (is_new true): the next ids the
--     identity sequence would hand out (from 1,000,000,000 on: 0007_service_ids.up.sql), past
--     every id in use and every Loan ID of the file, in file order.
-- Under lock_tables.sql no other writer takes these ids; the sequence is moved past them only
-- at the end (advance_sequences.sql: nextval() is not transactional). Returns (new, remapped).
CREATE TEMP TABLE ingest_loan_ids ON COMMIT DROP AS
WITH existing AS (
    SELECT t.row_no, l.loan_id
      FROM ingest_loans AS t
      JOIN loans AS l ON l.customer_id = t.customer_id AND l.source_loan_id = t.source_loan_id
),
new_rows AS (
    SELECT t.row_no, t.source_loan_id
      FROM ingest_loans AS t
     WHERE NOT EXISTS (SELECT 1 FROM existing AS e WHERE e.row_no = t.row_no)
),
remapped AS (  -- (a union of joins: a hash each, where OR-ed EXISTS would run per row; the
               -- repeats grouped in Loan ID order: at 1M rows a sort costs less than a hash)
    SELECT n.row_no
      FROM new_rows AS n
      JOIN (SELECT source_loan_id, min(row_no) AS first_row
              FROM (SELECT * FROM new_rows ORDER BY source_loan_id) AS in_id_order
             GROUP BY source_loan_id
            HAVING count(*) > 1) AS r
        ON r.source_loan_id = n.source_loan_id AND n.row_no > r.first_row
    UNION
    SELECT n.row_no
      FROM new_rows AS n
      JOIN loans AS l ON l.loan_id = n.source_loan_id
),
last_id AS (
    SELECT greatest(
               (SELECT coalesce(max(loan_id), 0) FROM loans),
               (SELECT coalesce(pg_sequence_last_value(q.seqrelid), q.seqstart - 1)
                  FROM pg_sequence AS q
                 WHERE q.seqrelid = pg_get_serial_sequence('loans', 'loan_id')::regclass),
               (SELECT coalesce(max(source_loan_id), 0) FROM ingest_loans)
           ) AS value
)
SELECT row_no, loan_id, false AS is_new FROM existing
UNION ALL
SELECT r.row_no, last_id.value + row_number() OVER (ORDER BY r.row_no), true
  FROM remapped AS r
 CROSS JOIN last_id;

ANALYZE ingest_loan_ids;

SELECT (SELECT count(*) FROM ingest_loans) - count(*) FILTER (WHERE NOT is_new),
       count(*) FILTER (WHERE is_new)
  FROM ingest_loan_ids;
