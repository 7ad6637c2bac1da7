-- The text path (stage.py): the loan file's staged text, parsed cell by cell into the typed
-- table by the parsers of sql/ingestion_cells_v1.sql (NULL where the text is not of the
-- column's type), each cell's text kept beside its value for cell_problems.sql.
INSERT INTO ingest_loans
       (row_no, customer_id, source_loan_id, loan_amount, tenure, interest_rate,
        monthly_payment, emis_paid_on_time, start_date, end_date,
        customer_id_text, loan_id_text, loan_amount_text, tenure_text, interest_rate_text,
        monthly_payment_text, emis_paid_on_time_text, start_date_text, end_date_text)
SELECT row_no,
       ingest_integer(customer_id),
       ingest_integer(loan_id),
       ingest_decimal(loan_amount),
       ingest_integer(tenure),
       ingest_decimal(interest_rate),
       ingest_decimal(monthly_payment),
       ingest_integer(emis_paid_on_time),
       ingest_date(date_of_approval),
       ingest_date(end_date),
       customer_id,
       loan_id,
       loan_amount,
       tenure,
       interest_rate,
       monthly_payment,
       emis_paid_on_time,
       date_of_approval,
       end_date
  FROM ingest_loans_raw;
