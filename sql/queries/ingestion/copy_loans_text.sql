-- The text path (stage.py): every cell of the loan file as text.
COPY ingest_loans_raw (row_no, customer_id, loan_id, loan_amount, tenure, interest_rate,
                       monthly_payment, emis_paid_on_time, date_of_approval, end_date)
FROM STDIN;
