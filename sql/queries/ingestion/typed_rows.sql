-- Typed rows, in one pass over the staged text: each cell's text, its value as the parsers of
-- sql/ingestion_cells_v1.sql read it (NULL when the text is not of the column's type), and the
-- cell rule it breaks, if any (<column>_problem): missing value, wrong type, more than 2
-- decimals in money or a rate, out of range. The rules mirror the constraints of customers and
-- loans (SPEC §3; each column names the constraint it mirrors), so rows that pass load without
-- a constraint error; how a cell is parsed and worded lives in sql/ingestion_cells_v1.sql, which
-- rule and which bounds apply to which column lives here. cell_problems.sql lists the problems;
-- the upserts load the values.
-- Parameters: name_max_length, phone_pattern, max_money, max_tenure.
CREATE TEMP TABLE ingest_customers ON COMMIT DROP AS
SELECT v.*,
       -- primary key: a positive customer number
       ingest_integer_problem(v.customer_id_text, v.customer_id, 1, NULL) AS customer_id_problem,
       -- customers_first_name_not_blank, customers_last_name_not_blank, varchar(100)
       ingest_text_problem(v.first_name, %(name_max_length)s) AS first_name_problem,
       ingest_text_problem(v.last_name, %(name_max_length)s) AS last_name_problem,
       -- customers_age_range
       ingest_integer_problem(v.age_text, v.age, 18, 100) AS age_problem,
       -- customers_phone_number_format
       CASE WHEN v.phone_number IS NULL THEN 'missing value'
            WHEN v.phone_number !~ %(phone_pattern)s
                THEN 'not a phone number (10 to 15 digits, the first not 0)'
       END AS phone_number_problem,
       -- customers_monthly_salary_positive, numeric(14,2)
       ingest_decimal_problem(v.monthly_salary_text, v.monthly_salary, 0, true, %(max_money)s)
           AS monthly_salary_problem,
       -- customers_approved_limit_non_negative, numeric(14,2)
       ingest_decimal_problem(v.approved_limit_text, v.approved_limit, 0, false, %(max_money)s)
           AS approved_limit_problem
  FROM (SELECT row_no,
               customer_id                    AS customer_id_text,
               ingest_integer(customer_id)    AS customer_id,
               first_name,
               last_name,
               age                            AS age_text,
               ingest_integer(age)            AS age,
               phone_number,
               monthly_salary                 AS monthly_salary_text,
               ingest_decimal(monthly_salary) AS monthly_salary,
               approved_limit                 AS approved_limit_text,
               ingest_decimal(approved_limit) AS approved_limit
          FROM ingest_customers_raw
         OFFSET 0) AS v;  -- OFFSET 0: parse each cell once, not once per use

CREATE TEMP TABLE ingest_loans ON COMMIT DROP AS
SELECT v.*,
       -- loans_customer_id_fkey (whether the customer exists: database_problems.sql)
       ingest_integer_problem(v.customer_id_text, v.customer_id, 1, NULL) AS customer_id_problem,
       -- source_loan_id: a positive loan number
       ingest_integer_problem(v.loan_id_text, v.source_loan_id, 1, NULL) AS loan_id_problem,
       -- loans_loan_amount_positive, numeric(14,2)
       ingest_decimal_problem(v.loan_amount_text, v.loan_amount, 0, true, %(max_money)s)
           AS loan_amount_problem,
       -- loans_tenure_range
       ingest_integer_problem(v.tenure_text, v.tenure, 1, %(max_tenure)s) AS tenure_problem,
       -- loans_interest_rate_range, numeric(5,2)
       ingest_decimal_problem(v.interest_rate_text, v.interest_rate, 0, false, 100)
           AS interest_rate_problem,
       -- loans_monthly_installment_positive, numeric(14,2)
       ingest_decimal_problem(v.monthly_payment_text, v.monthly_payment, 0, true, %(max_money)s)
           AS monthly_payment_problem,
       -- loans_emis_paid_on_time_range (the upper bound, tenure: file_problems.sql)
       ingest_integer_problem(v.emis_paid_on_time_text, v.emis_paid_on_time, 0, NULL)
           AS emis_paid_on_time_problem,
       ingest_date_problem(v.start_date_text, v.start_date) AS date_of_approval_problem,
       -- loans_end_date_matches_tenure (the date itself; the rule: file_problems.sql)
       ingest_date_problem(v.end_date_text, v.end_date) AS end_date_problem
  FROM (SELECT row_no,
               customer_id                       AS customer_id_text,
               ingest_integer(customer_id)       AS customer_id,
               loan_id                           AS loan_id_text,
               ingest_integer(loan_id)           AS source_loan_id,
               loan_amount                       AS loan_amount_text,
               ingest_decimal(loan_amount)       AS loan_amount,
               tenure                            AS tenure_text,
               ingest_integer(tenure)            AS tenure,
               interest_rate                     AS interest_rate_text,
               ingest_decimal(interest_rate)     AS interest_rate,
               monthly_payment                   AS monthly_payment_text,
               ingest_decimal(monthly_payment)   AS monthly_payment,
               emis_paid_on_time                 AS emis_paid_on_time_text,
               ingest_integer(emis_paid_on_time) AS emis_paid_on_time,
               date_of_approval                  AS start_date_text,
               ingest_date(date_of_approval)     AS start_date,
               end_date                          AS end_date_text,
               ingest_date(end_date)             AS end_date
          FROM ingest_loans_raw
         OFFSET 0) AS v;

ANALYZE ingest_customers;
ANALYZE ingest_loans;
