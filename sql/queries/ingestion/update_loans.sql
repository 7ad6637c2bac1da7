-- Loans of the file already loaded (same customer and Loan ID: ingest_loan_ids.is_new false)
-- keep their loan_id and get the file's values where a value differs; the loans UPDATE trigger
-- adds each customer's delta to current_debt. Returns the rows updated. A loan with recorded
-- payments belongs to the ledger: its file row changes nothing. (With insert_loans.sql, the
-- upsert of loans: a plain INSERT is much faster than INSERT ... ON CONFLICT at 1M rows.)
WITH updated AS (
    UPDATE loans AS l
       SET loan_amount         = t.loan_amount,
           interest_rate       = t.interest_rate,
           tenure              = t.tenure,
           monthly_installment = t.monthly_payment,
           emis_paid_on_time   = t.emis_paid_on_time,
           start_date          = t.start_date,
           end_date            = t.end_date,
           is_active           = loan_is_active(t.end_date)
      FROM ingest_loan_ids AS i
      JOIN ingest_loans AS t ON t.row_no = i.row_no
     WHERE NOT i.is_new
       AND l.loan_id = i.loan_id
       AND NOT EXISTS (SELECT 1 FROM repayments AS r WHERE r.loan_id = l.loan_id)
       AND (l.loan_amount, l.interest_rate, l.tenure, l.monthly_installment,
            l.emis_paid_on_time, l.start_date, l.end_date, l.is_active)
           IS DISTINCT FROM
           (t.loan_amount, t.interest_rate, t.tenure, t.monthly_payment, t.emis_paid_on_time,
            t.start_date, t.end_date, loan_is_active(t.end_date))
    RETURNING 1
)
SELECT count(*) FROM updated;
