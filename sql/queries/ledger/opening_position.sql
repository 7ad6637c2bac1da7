-- make-payment, first payment of a loan loaded from the spreadsheet: the installments its
-- history settled (those due before today: a payment on a due date pays that day's
-- installment), the balance after them and the EMI of the standard schedule of its terms,
-- which that history followed (loan_schedule, loan_emi: sql/loan_ledger_v1.sql).
-- Parameter: loan_id.
SELECT count(*)::integer,
       (array_agg(s.balance ORDER BY s.installment_number DESC))[1],
       (SELECT greatest(0.01, loan_emi(l.loan_amount, l.interest_rate, l.tenure))
          FROM loans AS l WHERE l.loan_id = %(loan_id)s)
  FROM loan_schedule(%(loan_id)s, credit_today() - 1) AS s
 WHERE s.status IN ('paid_on_time', 'paid_late');
