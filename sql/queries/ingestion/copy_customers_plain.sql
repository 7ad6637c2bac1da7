-- The plain path (stage.py): the customer file's rows straight into the typed columns.
COPY ingest_customers (row_no, customer_id, first_name, last_name, age, phone_number,
                       monthly_salary, approved_limit)
FROM STDIN;
