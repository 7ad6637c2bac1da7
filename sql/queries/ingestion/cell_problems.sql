-- The cell problems found by typed_rows.sql, one row per refused cell, in the files' column
-- order. Only rows with at least one problem are unpivoted.
INSERT INTO ingest_problems (file_order, row_no, position, column_key, value, reason)
SELECT 1, t.row_no, c.position, c.column_key, c.value, c.reason
  FROM ingest_customers AS t
 CROSS JOIN LATERAL (VALUES
        (1, 'customer_id', t.customer_id_text, t.customer_id_problem),
        (2, 'first_name', t.first_name, t.first_name_problem),
        (3, 'last_name', t.last_name, t.last_name_problem),
        (4, 'age', t.age_text, t.age_problem),
        (5, 'phone_number', t.phone_number, t.phone_number_problem),
        (6, 'monthly_salary', t.monthly_salary_text, t.monthly_salary_problem),
        (7, 'approved_limit', t.approved_limit_text, t.approved_limit_problem)
       ) AS c (position, column_key, value, reason)
 WHERE num_nonnulls(t.customer_id_problem, t.first_name_problem, t.last_name_problem,
                    t.age_problem, t.phone_number_problem, t.monthly_salary_problem,
                    t.approved_limit_problem) > 0
   AND c.reason IS NOT NULL;

INSERT INTO ingest_problems (file_order, row_no, position, column_key, value, reason)
SELECT 2, t.row_no, c.position, c.column_key, c.value, c.reason
  FROM ingest_loans AS t
 CROSS JOIN LATERAL (VALUES
        (1, 'customer_id', t.customer_id_text, t.customer_id_problem),
        (2, 'loan_id', t.loan_id_text, t.loan_id_problem),
        (3, 'loan_amount', t.loan_amount_text, t.loan_amount_problem),
        (4, 'tenure', t.tenure_text, t.tenure_problem),
        (5, 'interest_rate', t.interest_rate_text, t.interest_rate_problem),
        (6, 'monthly_payment', t.monthly_payment_text, t.monthly_payment_problem),
        (7, 'emis_paid_on_time', t.emis_paid_on_time_text, t.emis_paid_on_time_problem),
        (8, 'date_of_approval', t.start_date_text, t.date_of_approval_problem),
        (9, 'end_date', t.end_date_text, t.end_date_problem)
       ) AS c (position, column_key, value, reason)
 WHERE num_nonnulls(t.customer_id_problem, t.loan_id_problem, t.loan_amount_problem,
                    t.tenure_problem, t.interest_rate_problem, t.monthly_payment_problem,
                    t.emis_paid_on_time_problem, t.date_of_approval_problem,
                    t.end_date_problem) > 0
   AND c.reason IS NOT NULL;
