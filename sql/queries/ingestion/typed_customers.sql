-- The text path (stage.py): the customer file's staged text, parsed cell by cell into the typed
-- table by the parsers of sql/ingestion_cells_v1.sql (NULL where the text is not of the
-- column's type), each cell's text kept beside its value for cell_problems.sql.
INSERT INTO ingest_customers
       (row_no, customer_id, first_name, last_name, age, phone_number, monthly_salary,
        approved_limit, customer_id_text, age_text, monthly_salary_text, approved_limit_text)
SELECT row_no,
       ingest_integer(customer_id),
       first_name,
       last_name,
       ingest_integer(age),
       phone_number,
       ingest_decimal(monthly_salary),
       ingest_decimal(approved_limit),
       customer_id,
       age,
       monthly_salary,
       approved_limit
  FROM ingest_customers_raw;
