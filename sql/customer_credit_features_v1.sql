-- customer_credit_features, version 1: one row per customer with the facts the credit score
-- and the loan decision are made of. "Today" is credit_today().
CREATE VIEW customer_credit_features AS
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
  LEFT JOIN LATERAL (SELECT loan_installments_due(l.start_date, l.tenure, t.today) AS due) AS d
         ON true
 GROUP BY c.customer_id, t.today;

COMMENT ON VIEW customer_credit_features IS
    'One row per customer: the loan history facts behind the credit score and the loan decision, as of credit_today().';
COMMENT ON COLUMN customer_credit_features.customer_id IS 'The customer (customers.customer_id).';
COMMENT ON COLUMN customer_credit_features.loans_taken IS 'All loans of the customer, active or closed.';
COMMENT ON COLUMN customer_credit_features.loans_active IS 'Loans with is_active true (installments still ahead).';
COMMENT ON COLUMN customer_credit_features.emis_due IS 'Installments fallen due by today, summed over all loans (installment k is due on start_date + k months).';
COMMENT ON COLUMN customer_credit_features.emis_paid_on_time IS 'Installments paid on time, each loan capped at its installments due, summed.';
COMMENT ON COLUMN customer_credit_features.on_time_ratio IS 'emis_paid_on_time / emis_due; null when nothing is due yet.';
COMMENT ON COLUMN customer_credit_features.loans_this_year IS 'Loans whose start_date lies in the calendar year of credit_today().';
COMMENT ON COLUMN customer_credit_features.approved_volume IS 'Sum of loan_amount over all loans of the customer.';
COMMENT ON COLUMN customer_credit_features.current_debt IS 'Sum of loan_amount over active loans (customers.current_debt, kept by triggers).';
COMMENT ON COLUMN customer_credit_features.current_emis IS 'Sum of monthly_installment over active loans.';
COMMENT ON COLUMN customer_credit_features.approved_limit IS 'The customer''s approved credit limit.';
COMMENT ON COLUMN customer_credit_features.monthly_salary IS 'The customer''s monthly salary.';
