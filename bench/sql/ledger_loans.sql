-- The loans the API benchmark pays and reads statements of: one API-style loan (no Loan ID of
-- the file) of 600 monthly installments per sampled customer, starting today, at the EMI that
-- amortizes it (loan_emi), so every make-payment of that EMI is accepted and each statement
-- has 600 installments. Parameter: count.
INSERT INTO loans (customer_id, loan_amount, interest_rate, tenure, monthly_installment,
                   emis_paid_on_time, start_date, end_date, is_active)
SELECT c.customer_id, 600000, 12, 600, loan_emi(600000, 12, 600), 0, credit_today(),
       loan_end_date(credit_today(), 600), true
  FROM (SELECT customer_id FROM customers ORDER BY random() LIMIT %(count)s) AS c
RETURNING customer_id, loan_id, monthly_installment;
