-- customer_active_debt, version 1: the one statement of "the sum of a customer's active loans",
-- the value customers.current_debt must always equal (the loans triggers keep it so). Read by
-- the drift check and the repair (sql/queries/current_debt_drift.sql,
-- recompute_current_debt.sql) and by the benchmarks' check of a load.
CREATE VIEW customer_active_debt AS
SELECT c.customer_id,
       coalesce(sum(l.loan_amount) FILTER (WHERE l.is_active), 0) AS active_debt
  FROM customers AS c
  LEFT JOIN loans AS l ON l.customer_id = c.customer_id
 GROUP BY c.customer_id;

COMMENT ON VIEW customer_active_debt IS
    'Per customer, the sum of the amounts of their active loans: what customers.current_debt must equal.';
COMMENT ON COLUMN customer_active_debt.customer_id IS 'Customer number (customers.customer_id).';
COMMENT ON COLUMN customer_active_debt.active_debt IS
    'Sum of loan_amount over the customer''s loans with is_active; 0 without any.';
