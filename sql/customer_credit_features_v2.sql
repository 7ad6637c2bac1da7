-- customer_credit_features, version 2: as version 1, with the repayment facts fed by the
-- ledger (repayments). "Today" is credit_today().
--   * emis_paid_on_time of a loan counts its on-time recorded payments (make-payment raises
--     loans.emis_paid_on_time by one for each), on top of the spreadsheet's count for a
--     loaded loan; it is capped per loan at its installments due, as in version 1.
--   * emis_due of a loan counts the installments fallen due by the calendar, but a loan paid
--     off at installment k has no installment after k: a payoff ends its count there, so
--     paying a loan off early does not lose repayment points month after month.
-- A customer who pays every installment on time keeps on_time_ratio 1 (40 repayment points);
-- one who skips installments sees emis_due grow without emis_paid_on_time, and loses them.
-- Same columns as version 1 (customer_credit_scores reads this view unchanged).
CREATE OR REPLACE VIEW customer_credit_features AS
SELECT c.customer_id,
       count(l.loan_id)::integer                                          AS loans_taken,
       (count(l.loan_id) FILTER (WHERE l.is_active))::integer             AS loans_active,
       coalesce(sum(d.due), 0)::integer                                   AS emis_due,
       coalesce(sum(least(l.emis_paid_on_time, d.due)), 0)::integer       AS emis_paid_on_time,
       (sum(least(l.emis_paid_on_time, d.due))::numeric
            / nullif(sum(d.due), 0))                                      AS on_time_ratio,
       (count(l.loan_id) FILTER (
            WHERE extract(year FROM l.start_date) = extract(year FROM t.today)))::integer
                                                                          AS loans_this_year,
       coalesce(sum(l.loan_amount), 0)::numeric(20, 2)                    AS approved_volume,
       c.current_debt,
       coalesce(sum(l.monthly_installment) FILTER (WHERE l.is_active), 0)::numeric(20, 2)
                                                                          AS current_emis,
       c.approved_limit,
       c.monthly_salary
  FROM customers AS c
 CROSS JOIN (SELECT credit_today() AS today) AS t
  LEFT JOIN loans AS l ON l.customer_id = c.customer_id
  -- at most one payoff per loan (repayments_one_payoff_per_loan)
  LEFT JOIN repayments AS payoff ON payoff.loan_id = l.loan_id AND payoff.balance_after = 0
  LEFT JOIN LATERAL (
       SELECT loan_installments_due(l.start_date,
                                    coalesce(payoff.installment_number, l.tenure::integer),
                                    t.today) AS due) AS d
         ON true
 GROUP BY c.customer_id, t.today;

COMMENT ON VIEW customer_credit_features IS
    'One row per customer: the loan history facts behind the credit score and the loan decision, as of credit_today(); repayment facts fed by recorded payments.';
COMMENT ON COLUMN customer_credit_features.emis_due IS 'Installments fallen due by today, summed over all loans (installment k is due on start_date + k months); a loan paid off at installment k counts none after k.';
COMMENT ON COLUMN customer_credit_features.emis_paid_on_time IS 'Installments paid on time (the spreadsheet''s count plus on-time recorded payments), each loan capped at its installments due, summed.';

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'credit_analyst') THEN
        GRANT SELECT ON loan_balances TO credit_analyst;
    END IF;
END
$$;
