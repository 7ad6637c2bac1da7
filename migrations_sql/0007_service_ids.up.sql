-- The service's own ids start at 1,000,000,000: one past the largest id a file may bring
-- (core.models.MAX_FILE_ID = 999,999,999; a test keeps the two equal). POST /register and
-- POST /create-loan take their ids from these identity sequences, and so do the fresh ids that
-- ingestion gives to remapped loans (assign_loan_ids.sql), so an id handed out before, during
-- or after a load can never be one that a file brings.
--   START WITH: where the sequence begins again after a RESTART (TRUNCATE ... RESTART IDENTITY).
--   setval(..., true): the next id is one past the greatest of 999,999,999, every id already in
--   the table and the sequence's own last value, so a database in use keeps handing out
--   increasing ids and a sequence is never moved back.
ALTER TABLE customers ALTER COLUMN customer_id SET START WITH 1000000000;
ALTER TABLE loans ALTER COLUMN loan_id SET START WITH 1000000000;

SELECT setval(s.sequence,
              greatest(999999999, s.max_id, coalesce(pg_sequence_last_value(s.sequence), 0)),
              true)
  FROM (SELECT pg_get_serial_sequence('customers', 'customer_id')::regclass AS sequence,
               (SELECT coalesce(max(customer_id), 0) FROM customers) AS max_id
        UNION ALL
        SELECT pg_get_serial_sequence('loans', 'loan_id')::regclass,
               (SELECT coalesce(max(loan_id), 0) FROM loans)) AS s;

COMMENT ON COLUMN customers.customer_id IS 'Customer number: a file''s Customer ID (1-999999999) as given, or from the identity sequence (from 1000000000 on) for customers registered through the API.';
COMMENT ON COLUMN loans.loan_id IS 'Loan number: a file''s Loan ID (1-999999999) when free, else from the identity sequence (from 1000000000 on), as for loans made through the API.';
