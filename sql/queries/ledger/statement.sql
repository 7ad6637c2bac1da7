-- view-statement: every installment of the loan as of credit_today() (loan_schedule,
-- sql/loan_ledger_v1.sql). Parameter: loan_id.
SELECT installment_number, due_date, amount, interest, principal, balance, status, paid_on,
       amount_paid
  FROM loan_schedule(%(loan_id)s)
 ORDER BY installment_number;
