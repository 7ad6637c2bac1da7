COPY bare_loans (customer_id, source_loan_id, loan_amount, tenure, interest_rate,
                 monthly_installment, emis_paid_on_time, start_date, end_date)
FROM STDIN;
