-- Loans of the file not loaded before: staged rows without a row in ingest_loan_ids keep their
-- file Loan ID, those with is_new get its fresh id (assign_loan_ids.sql). monthly_installment is
-- the file's "Monthly payment"; is_active = loan_is_active(end_date); the loans INSERT trigger
-- adds each customer's delta to current_debt. Rows go in customer order (local index work).
-- The foreign key to customers is checked once for the set, not row by row (bench/RESULTS.md):
-- the insert runs with session_replication_role 'replica', which skips the key's row triggers,
-- after the DO block's anti-join raised the key's own error (23503) for a loan without its
-- customer; under lock_tables.sql no customer can be deleted until commit. Replica mode is
-- taken only when this role may set it and no INSERT trigger of loans would be skipped (the
-- current_debt triggers fire ALWAYS: migrations_sql/0016_debt_triggers_always.up.sql); else
-- the key's row checks run as usual, with the same outcome.
SELECT set_config('session_replication_role', 'replica', true)
 WHERE has_parameter_privilege('session_replication_role', 'SET')
   AND NOT EXISTS (SELECT 1
                     FROM pg_trigger AS t
                    WHERE t.tgrelid = 'loans'::regclass
                      AND NOT t.tgisinternal
                      AND t.tgenabled = 'O'           -- fires in origin mode only
                      AND t.tgtype & 4 <> 0);         -- an INSERT trigger

DO $$
DECLARE
    missing bigint;
    first_missing bigint;
BEGIN
    IF current_setting('session_replication_role') <> 'replica' THEN
        RETURN;  -- the foreign key's row checks run
    END IF;
    -- (an aggregate, not EXISTS: planned for the whole set, a hash anti-join, where EXISTS
    -- would probe the customers index once per loan)
    SELECT count(*), min(t.customer_id) INTO missing, first_missing
      FROM ingest_loans AS t
      LEFT JOIN ingest_loan_ids AS i ON i.row_no = t.row_no
     WHERE i.is_new IS NOT FALSE
       AND NOT EXISTS (SELECT 1 FROM customers AS c WHERE c.customer_id = t.customer_id);
    IF missing > 0 THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'insert or update on table "loans" violates foreign key constraint '
                      || '"loans_customer_id_fkey"',
            DETAIL = missing || ' new loan(s) have no customer in table "customers" (the first: '
                     || 'customer_id ' || first_missing || '); checked for the whole set.';
    END IF;
END
$$;

INSERT INTO loans (loan_id, customer_id, source_loan_id, loan_amount, interest_rate, tenure,
                   monthly_installment, emis_paid_on_time, start_date, end_date, is_active)
SELECT coalesce(i.loan_id, t.source_loan_id), t.customer_id, t.source_loan_id, t.loan_amount,
       t.interest_rate, t.tenure, t.monthly_payment, t.emis_paid_on_time, t.start_date,
       t.end_date, loan_is_active(t.end_date)
  FROM ingest_loans AS t
  LEFT JOIN ingest_loan_ids AS i ON i.row_no = t.row_no
 WHERE i.is_new IS NOT FALSE
 ORDER BY t.customer_id, t.source_loan_id;

SELECT set_config('session_replication_role', 'origin', true)
 WHERE current_setting('session_replication_role') = 'replica';
