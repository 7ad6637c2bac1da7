-- Loans of the file not loaded before (ingest_loan_ids.is_new), with the ids chosen by
-- assign_loan_ids.sql, in one statement (no join: ingest_loan_ids carries the values). monthly_installment is the file's "Monthly payment"
-- as given; is_active = loan_is_active(end_date). The loans INSERT trigger adds each
-- customer's delta to current_debt. Rows go in customer order, which keeps the index and
-- foreign-key work local (about a third faster at 1M rows than file order); the ids do not
-- depend on it.
INSERT INTO loans (loan_id, customer_id, source_loan_id, loan_amount, interest_rate, tenure,
                   monthly_installment, emis_paid_on_time, start_date, end_date, is_active)
SELECT i.loan_id, i.customer_id, i.source_loan_id, i.loan_amount, i.interest_rate, i.tenure,
       i.monthly_payment, i.emis_paid_on_time, i.start_date, i.end_date,
       loan_is_active(i.end_date)
  FROM ingest_loan_ids AS i
 WHERE i.is_new
 ORDER BY i.customer_id, i.source_loan_id;
