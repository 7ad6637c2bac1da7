-- The plain path (stage.py): the loan file's rows straight into the typed columns.
COPY ingest_loans (row_no, customer_id, source_loan_id, loan_amount, tenure, interest_rate,
                   monthly_payment, emis_paid_on_time, start_date, end_date)
FROM STDIN;
