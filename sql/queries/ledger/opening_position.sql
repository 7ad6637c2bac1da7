-- make-payment, first payment of a loan loaded from the spreadsheet: the installments its
-- history settled (those due before today: a payment on a due date pays that day's
-- installment) and the balance after them, from the loan's standard schedule at the file's
-- EMI (loan_schedule, sql/loan_ledger_v1.sql). Parameter: loan_id.
SELECT count(*)::integer,
       (array_agg(s.balance ORDER BY s.installment_number DESC))[1]
  FROM loan_schedule(%(loan_id)s, credit_today() - 1) AS s
 WHERE s.status IN ('paid_on_time', 'paid_late');
