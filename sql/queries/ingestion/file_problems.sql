-- Rules across rows, each one the load's own constraints also enforce (a key, a check, the
-- foreign key), so they run only to name the rows of a refused load: keys repeated in a file,
-- installments paid on time beyond the tenure, end dates other than the start date + tenure
-- months (loan_end_date, as loans_end_date_matches_tenure), loans of unknown customers (under
-- lock_tables.sql). A repeated key is reported on every occurrence after the first, found by
-- grouping (a hash, in memory under run_settings.sql's work_mem).
-- Parameter: max_tenure (MAX_TENURE_MONTHS, core/models.py), which guards the casts.
INSERT INTO ingest_problems (file_order, row_no, column_name, value, reason)
SELECT 1, c.row_no, 'customer_id', c.customer_id::text,
       'Customer ID repeated in the customer file (first at row ' || d.first_row || ')'
  FROM (SELECT customer_id, min(row_no) AS first_row
          FROM ingest_customers
         WHERE customer_id IS NOT NULL
         GROUP BY customer_id
        HAVING count(*) > 1) AS d
  JOIN ingest_customers AS c ON c.customer_id = d.customer_id AND c.row_no > d.first_row
UNION ALL
SELECT 1, c.row_no, 'phone_number', c.phone_number,
       'phone number repeated in the customer file (first at row ' || d.first_row || ')'
  FROM (SELECT phone_number, min(row_no) AS first_row
          FROM ingest_customers
         WHERE phone_number IS NOT NULL
         GROUP BY phone_number
        HAVING count(*) > 1) AS d
  JOIN ingest_customers AS c ON c.phone_number = d.phone_number AND c.row_no > d.first_row
UNION ALL
SELECT 2, l.row_no, 'source_loan_id', l.source_loan_id::text,
       'Loan ID repeated for customer ' || l.customer_id
           || ' in the loan file (first at row ' || d.first_row || ')'
  FROM (SELECT customer_id, source_loan_id, min(row_no) AS first_row
          FROM ingest_loans
         WHERE customer_id IS NOT NULL AND source_loan_id IS NOT NULL
         GROUP BY customer_id, source_loan_id
        HAVING count(*) > 1) AS d
  JOIN ingest_loans AS l
    ON l.customer_id = d.customer_id AND l.source_loan_id = d.source_loan_id
   AND l.row_no > d.first_row
UNION ALL
SELECT 2, l.row_no, 'emis_paid_on_time', l.emis_paid_on_time::text,
       'more than the tenure (' || l.tenure || ' months)'
  FROM ingest_loans AS l
 WHERE l.tenure BETWEEN 1 AND %(max_tenure)s
   AND l.emis_paid_on_time > l.tenure
UNION ALL
SELECT 2, l.row_no, 'end_date', l.end_date::text,
       'not Date of Approval + Tenure months (' || l.start_date || ' + ' || l.tenure
           || ' months = ' || loan_end_date(l.start_date, l.tenure::integer) || ')'
  FROM ingest_loans AS l
 WHERE CASE WHEN l.tenure BETWEEN 1 AND %(max_tenure)s
            THEN l.end_date <> loan_end_date(l.start_date, l.tenure::integer)
            ELSE false  -- (guards the cast and the date arithmetic)
       END
UNION ALL
SELECT 2, l.row_no, 'customer_id', l.customer_id::text,
       'customer ' || l.customer_id || ' is in neither the customer file nor the database'
  FROM ingest_loans AS l
 WHERE l.customer_id IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM ingest_customers AS t WHERE t.customer_id = l.customer_id)
   AND NOT EXISTS (SELECT 1 FROM customers AS c WHERE c.customer_id = l.customer_id);
