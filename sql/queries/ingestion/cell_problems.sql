-- The cell rules: one row in ingest_problems per refused cell, in the files' column order.
-- A cell is refused when it is missing, not of its column's type (the text path's parsers
-- left its value NULL), has more than 2 decimals in money or a rate, or is out of range. The
-- rules mirror the constraints of customers and loans (core/models.py; each line names the
-- constraint it mirrors), so rows that pass load without a constraint error. How a refusal is
-- worded lives in sql/ingestion_cells_v1.sql; which rule and which bounds apply to which
-- column lives here, for both staging paths (stage.py).
-- The *_problem functions take the cell's text only to tell a missing cell from an unreadable
-- one. Where the value was read, any non-NULL text does (the '' below), so the plain path's
-- values are never rendered as text except in the report (coalesce(<column>_text, value)).
-- Parameters: name_max_length, min_age, max_age, min_rate, max_rate, phone_pattern,
-- max_money, max_tenure, max_file_id, earliest_date, latest_date (core/models.py,
-- ingestion/validate.py).
ANALYZE ingest_customers;
ANALYZE ingest_loans;

INSERT INTO ingest_problems (file_order, row_no, position, column_key, value, reason)
SELECT 1, p.row_no, c.position, c.column_key, c.value, c.reason
  FROM (SELECT t.*,
               -- primary key: a file's customer number, 1..max_file_id (the service's own
               -- ids start past it: migrations_sql/0007_service_ids.up.sql)
               ingest_integer_problem(
                   CASE WHEN t.customer_id IS NULL THEN t.customer_id_text ELSE '' END,
                   t.customer_id, 1, %(max_file_id)s) AS customer_id_problem,
               -- customers_first_name_not_blank, customers_last_name_not_blank, varchar(100)
               ingest_text_problem(t.first_name, %(name_max_length)s) AS first_name_problem,
               ingest_text_problem(t.last_name, %(name_max_length)s) AS last_name_problem,
               -- customers_age_range
               ingest_integer_problem(CASE WHEN t.age IS NULL THEN t.age_text ELSE '' END,
                                      t.age, %(min_age)s, %(max_age)s) AS age_problem,
               -- customers_phone_number_format
               CASE WHEN t.phone_number IS NULL THEN 'missing value'
                    WHEN t.phone_number !~ %(phone_pattern)s
                        THEN 'not a phone number (10 to 15 digits, the first not 0)'
               END AS phone_number_problem,
               -- customers_monthly_salary_positive, numeric(14,2)
               ingest_decimal_problem(
                   CASE WHEN t.monthly_salary IS NULL THEN t.monthly_salary_text ELSE '' END,
                   t.monthly_salary, 0, true, %(max_money)s) AS monthly_salary_problem,
               -- customers_approved_limit_non_negative, numeric(14,2)
               ingest_decimal_problem(
                   CASE WHEN t.approved_limit IS NULL THEN t.approved_limit_text ELSE '' END,
                   t.approved_limit, 0, false, %(max_money)s) AS approved_limit_problem
          FROM ingest_customers AS t
        OFFSET 0) AS p  -- OFFSET 0: judge each cell once, not once per use
 CROSS JOIN LATERAL (VALUES
        (1, 'customer_id', coalesce(p.customer_id_text, p.customer_id::text),
         p.customer_id_problem),
        (2, 'first_name', p.first_name, p.first_name_problem),
        (3, 'last_name', p.last_name, p.last_name_problem),
        (4, 'age', coalesce(p.age_text, p.age::text), p.age_problem),
        (5, 'phone_number', p.phone_number, p.phone_number_problem),
        (6, 'monthly_salary', coalesce(p.monthly_salary_text, p.monthly_salary::text),
         p.monthly_salary_problem),
        (7, 'approved_limit', coalesce(p.approved_limit_text, p.approved_limit::text),
         p.approved_limit_problem)
       ) AS c (position, column_key, value, reason)
 WHERE num_nonnulls(p.customer_id_problem, p.first_name_problem, p.last_name_problem,
                    p.age_problem, p.phone_number_problem, p.monthly_salary_problem,
                    p.approved_limit_problem) > 0
   AND c.reason IS NOT NULL;

INSERT INTO ingest_problems (file_order, row_no, position, column_key, value, reason)
SELECT 2, p.row_no, c.position, c.column_key, c.value, c.reason
  FROM (SELECT t.*,
               -- loans_customer_id_fkey (whether the customer exists: database_problems.sql);
               -- a file's customer number, 1..max_file_id
               ingest_integer_problem(
                   CASE WHEN t.customer_id IS NULL THEN t.customer_id_text ELSE '' END,
                   t.customer_id, 1, %(max_file_id)s) AS customer_id_problem,
               -- source_loan_id: a file's loan number, 1..max_file_id (kept as loan_id when
               -- free, so it must stay below the ids the loans sequence hands out)
               ingest_integer_problem(
                   CASE WHEN t.source_loan_id IS NULL THEN t.loan_id_text ELSE '' END,
                   t.source_loan_id, 1, %(max_file_id)s) AS loan_id_problem,
               -- loans_loan_amount_positive, numeric(14,2)
               ingest_decimal_problem(
                   CASE WHEN t.loan_amount IS NULL THEN t.loan_amount_text ELSE '' END,
                   t.loan_amount, 0, true, %(max_money)s) AS loan_amount_problem,
               -- loans_tenure_range
               ingest_integer_problem(
                   CASE WHEN t.tenure IS NULL THEN t.tenure_text ELSE '' END,
                   t.tenure, 1, %(max_tenure)s) AS tenure_problem,
               -- loans_interest_rate_range, numeric(5,2)
               ingest_decimal_problem(
                   CASE WHEN t.interest_rate IS NULL THEN t.interest_rate_text ELSE '' END,
                   t.interest_rate, %(min_rate)s, false, %(max_rate)s) AS interest_rate_problem,
               -- loans_monthly_installment_positive, numeric(14,2)
               ingest_decimal_problem(
                   CASE WHEN t.monthly_payment IS NULL THEN t.monthly_payment_text ELSE '' END,
                   t.monthly_payment, 0, true, %(max_money)s) AS monthly_payment_problem,
               -- loans_emis_paid_on_time_range (the upper bound, tenure: file_problems.sql)
               ingest_integer_problem(
                   CASE WHEN t.emis_paid_on_time IS NULL THEN t.emis_paid_on_time_text
                        ELSE '' END,
                   t.emis_paid_on_time, 0, NULL) AS emis_paid_on_time_problem,
               -- a plausible date: earliest_date..latest_date (validate.py)
               coalesce(ingest_date_problem(
                   CASE WHEN t.start_date IS NULL THEN t.start_date_text ELSE '' END,
                   t.start_date),
                   CASE WHEN t.start_date NOT BETWEEN %(earliest_date)s AND %(latest_date)s
                        THEN 'must be between ' || %(earliest_date)s::date::text || ' and '
                             || %(latest_date)s::date::text
                   END) AS date_of_approval_problem,
               -- loans_end_date_matches_tenure (the date itself; the rule: file_problems.sql)
               coalesce(ingest_date_problem(
                   CASE WHEN t.end_date IS NULL THEN t.end_date_text ELSE '' END,
                   t.end_date),
                   CASE WHEN t.end_date NOT BETWEEN %(earliest_date)s AND %(latest_date)s
                        THEN 'must be between ' || %(earliest_date)s::date::text || ' and '
                             || %(latest_date)s::date::text
                   END) AS end_date_problem
          FROM ingest_loans AS t
        OFFSET 0) AS p
 CROSS JOIN LATERAL (VALUES
        (1, 'customer_id', coalesce(p.customer_id_text, p.customer_id::text),
         p.customer_id_problem),
        (2, 'loan_id', coalesce(p.loan_id_text, p.source_loan_id::text), p.loan_id_problem),
        (3, 'loan_amount', coalesce(p.loan_amount_text, p.loan_amount::text),
         p.loan_amount_problem),
        (4, 'tenure', coalesce(p.tenure_text, p.tenure::text), p.tenure_problem),
        (5, 'interest_rate', coalesce(p.interest_rate_text, p.interest_rate::text),
         p.interest_rate_problem),
        (6, 'monthly_payment', coalesce(p.monthly_payment_text, p.monthly_payment::text),
         p.monthly_payment_problem),
        (7, 'emis_paid_on_time', coalesce(p.emis_paid_on_time_text, p.emis_paid_on_time::text),
         p.emis_paid_on_time_problem),
        (8, 'date_of_approval', coalesce(p.start_date_text, p.start_date::text),
         p.date_of_approval_problem),
        (9, 'end_date', coalesce(p.end_date_text, p.end_date::text), p.end_date_problem)
       ) AS c (position, column_key, value, reason)
 WHERE num_nonnulls(p.customer_id_problem, p.loan_id_problem, p.loan_amount_problem,
                    p.tenure_problem, p.interest_rate_problem, p.monthly_payment_problem,
                    p.emis_paid_on_time_problem, p.date_of_approval_problem,
                    p.end_date_problem) > 0
   AND c.reason IS NOT NULL;
