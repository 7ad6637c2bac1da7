-- Staging for one ingestion run: every cell as text (as the reader formatted it), with the row
-- number Excel shows. Temporary, dropped when the run's transaction ends.
DROP TABLE IF EXISTS pg_temp.ingest_customers_raw, pg_temp.ingest_loans_raw,
                     pg_temp.ingest_problems, pg_temp.ingest_customers, pg_temp.ingest_loans,
                     pg_temp.ingest_loan_ids;

CREATE TEMP TABLE ingest_customers_raw (
    row_no          integer NOT NULL,
    customer_id     text,
    first_name      text,
    last_name       text,
    age             text,
    phone_number    text,
    monthly_salary  text,
    approved_limit  text
) ON COMMIT DROP;

CREATE TEMP TABLE ingest_loans_raw (
    row_no             integer NOT NULL,
    customer_id        text,
    loan_id            text,
    loan_amount        text,
    tenure             text,
    interest_rate      text,
    monthly_payment    text,
    emis_paid_on_time  text,
    date_of_approval   text,
    end_date           text
) ON COMMIT DROP;

-- Every refused cell or row: file_order 1 = customer file, 2 = loan file; position orders the
-- columns of one row as the files list them.
CREATE TEMP TABLE ingest_problems (
    file_order  smallint NOT NULL,
    row_no      integer  NOT NULL,
    position    smallint NOT NULL,
    column_key  text     NOT NULL,
    value       text,
    reason      text     NOT NULL
) ON COMMIT DROP;
