-- Loans of the file already loaded (same customer and Loan ID: ingest_loan_ids.is_new false)
-- keep their loan_id and get the file's values, only where a value differs. One statement; the
-- loans UPDATE trigger adds each customer's delta to current_debt. Returns the rows updated.
-- (The upsert of loans is this statement and insert_loans.sql: the rows are already sorted into
-- new and existing, and a plain INSERT is much faster than INSERT ... ON CONFLICT at 1M rows.)
WITH updated AS (
    UPDATE loans AS l
       SET loan_amount         = t.loan_amount,
           interest_rate       = t.interest_rate,
           tenure              = t.tenure,
           monthly_installment = t.monthly_payment,
           emis_paid_on_time   = t.emis_paid_on_time,
           start_date          = t.start_date,
           end_date            = t.end_date,
           is_active           = t.end_date > credit_today()
      FROM ingest_loans AS t
      JOIN ingest_loan_ids AS i USING (row_no)
     WHERE NOT i.is_new
       AND l.loan_id = i.loan_id
       AND (l.loan_amount, l.interest_rate, l.tenure, l.monthly_installment,
            l.emis_paid_on_time, l.start_date, l.end_date, l.is_active)
           IS DISTINCT FROM
           (t.loan_amount, t.interest_rate, t.tenure, t.monthly_payment, t.emis_paid_on_time,
            t.start_date, t.end_date, t.end_date > credit_today())
    RETURNING 1
)
SELECT count(*) FROM updated;
