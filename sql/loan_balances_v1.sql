-- loan_balances, version 1: one row per loan with where it stands as of credit_today(), read
-- from loan_schedule() (sql/loan_ledger_v1.sql), so it agrees with view-statement. Each row
-- runs the loan's schedule: filter by loan_id or customer_id rather than scanning every loan.
CREATE VIEW loan_balances AS
SELECT l.loan_id,
       l.customer_id,
       coalesce(s.balance, l.loan_amount)::numeric(14, 2)        AS balance,
       s.installments_paid,
       s.installments_overdue,
       s.next_due_date,
       loan_repayments_left(l.loan_id, l.source_loan_id, l.start_date, l.tenure::integer,
                            credit_today())                       AS repayments_left
  FROM loans AS l
 CROSS JOIN LATERAL (
       SELECT (array_agg(ls.balance ORDER BY ls.installment_number DESC)
                  FILTER (WHERE ls.status IN ('paid_on_time', 'paid_late')))[1] AS balance,
              (count(*) FILTER (WHERE ls.status IN ('paid_on_time', 'paid_late')))::integer
                                                                  AS installments_paid,
              (count(*) FILTER (WHERE ls.status = 'overdue'))::integer AS installments_overdue,
              min(ls.due_date) FILTER (WHERE ls.status IN ('overdue', 'due', 'upcoming'))
                                                                  AS next_due_date
         FROM loan_schedule(l.loan_id, credit_today()) AS ls
       ) AS s;

COMMENT ON VIEW loan_balances IS
    'One row per loan: outstanding balance, installments paid and overdue, next due date and repayments_left as of credit_today() (from loan_schedule()).';
COMMENT ON COLUMN loan_balances.loan_id IS 'The loan (loans.loan_id).';
COMMENT ON COLUMN loan_balances.customer_id IS 'Its borrower (customers.customer_id).';
COMMENT ON COLUMN loan_balances.balance IS 'Outstanding principal after the installments settled; loan_amount before any; 0.00 once paid off.';
COMMENT ON COLUMN loan_balances.installments_paid IS 'Installments settled (recorded payments, and for spreadsheet loans the file''s history).';
COMMENT ON COLUMN loan_balances.installments_overdue IS 'Unsettled installments whose due date has passed.';
COMMENT ON COLUMN loan_balances.next_due_date IS 'Due date of the first unsettled installment; null when none is left.';
COMMENT ON COLUMN loan_balances.repayments_left IS 'Installments not yet settled (loan_repayments_left), as view-loans answers.';
