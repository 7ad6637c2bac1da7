-- The text path (stage.py): every cell of the customer file as text.
COPY ingest_customers_raw (row_no, customer_id, first_name, last_name, age, phone_number,
                           monthly_salary, approved_limit)
FROM STDIN;
