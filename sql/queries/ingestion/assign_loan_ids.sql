-- The loan_id of every loan row of the file, decided before anything is written, with the
-- row's values (ingest_loan_ids: what update_loans.sql and insert_loans.sql write):
--   * a (customer, Loan ID) pair already loaded keeps its loan_id forever;
--   * a new pair gets its file Loan ID when no loan has that id and no earlier new row (in
--     file order) takes it;
--   * every other new row gets a fresh id from the identity sequence's range: the next ids it
--     would hand out (from 1,000,000,000 on, migrations_sql/0007_service_ids.up.sql), past
--     every id in use and past every file id kept, given in file order. (A sequence never
--     called since its last RESTART hands out its START value next.)
-- Runs under lock_tables.sql, so no other writer can take one of these ids meanwhile. The
-- sequence itself is only moved past them at the end (advance_sequences.sql): nextval() is not
-- transactional, and a run that fails must leave the sequence as it was.
CREATE TEMP TABLE ingest_loan_ids ON COMMIT DROP AS
WITH staged AS (  -- the staged values as the loans columns type them (all passed the rules)
    SELECT row_no, customer_id::bigint, source_loan_id::bigint, loan_amount, interest_rate,
           tenure::integer, monthly_payment, emis_paid_on_time::integer, start_date, end_date
      FROM ingest_loans
),
matched AS (
    SELECT t.*, l.loan_id AS existing_id
      FROM staged AS t
      LEFT JOIN loans AS l
             ON l.customer_id = t.customer_id AND l.source_loan_id = t.source_loan_id
),
new_rows AS (
    SELECT m.*,
           (m.row_no = min(m.row_no) OVER (PARTITION BY m.source_loan_id)
            AND NOT EXISTS (SELECT 1 FROM loans AS l WHERE l.loan_id = m.source_loan_id))
               AS keeps_id
      FROM matched AS m
     WHERE m.existing_id IS NULL
),
last_id AS (
    SELECT greatest(
               (SELECT coalesce(max(loan_id), 0) FROM loans),
               (SELECT coalesce(pg_sequence_last_value(q.seqrelid), q.seqstart - 1)
                  FROM pg_sequence AS q
                 WHERE q.seqrelid = pg_get_serial_sequence('loans', 'loan_id')::regclass),
               (SELECT coalesce(max(source_loan_id), 0) FROM new_rows WHERE keeps_id)
           ) AS value
)
SELECT m.row_no, m.existing_id AS loan_id, false AS is_new, false AS remapped,
       m.customer_id, m.source_loan_id, m.loan_amount, m.interest_rate, m.tenure,
       m.monthly_payment, m.emis_paid_on_time, m.start_date, m.end_date
  FROM matched AS m
 WHERE m.existing_id IS NOT NULL
UNION ALL
SELECT n.row_no, n.source_loan_id, true, false,
       n.customer_id, n.source_loan_id, n.loan_amount, n.interest_rate, n.tenure,
       n.monthly_payment, n.emis_paid_on_time, n.start_date, n.end_date
  FROM new_rows AS n
 WHERE n.keeps_id
UNION ALL
SELECT n.row_no, last_id.value + row_number() OVER (ORDER BY n.row_no), true, true,
       n.customer_id, n.source_loan_id, n.loan_amount, n.interest_rate, n.tenure,
       n.monthly_payment, n.emis_paid_on_time, n.start_date, n.end_date
  FROM new_rows AS n
 CROSS JOIN last_id
 WHERE NOT n.keeps_id;

SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE remapped)
  FROM ingest_loan_ids;
