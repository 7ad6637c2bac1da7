-- Staging for one ingestion run, temporary, dropped when the run's transaction ends.
--   ingest_customers, ingest_loans: the files' rows, typed, with the row number Excel shows.
--     The plain path (stage.py) COPYs straight into the typed columns. The text path fills
--     them from the text tables below through the cell parsers (typed_<file>.sql), and keeps
--     each cell's text in <column>_text, so reports can quote a refused cell as the file has
--     it. After the plain path the _text columns are NULL: there, every typed cell's text is
--     its value's text.
--     The CHECKs bound the decimals to what the text path's parser reads (30 digits each side
--     of the point, no NaN or Infinity): a plain COPY of anything beyond fails, and the file
--     takes the text path, so both paths refuse such a cell with the same reason.
--   ingest_customers_raw, ingest_loans_raw: every cell as text (the text path only).
--   ingest_problems: every refused cell or row.
DROP TABLE IF EXISTS pg_temp.ingest_customers_raw, pg_temp.ingest_loans_raw,
                     pg_temp.ingest_problems, pg_temp.ingest_customers, pg_temp.ingest_loans,
                     pg_temp.ingest_loan_ids, pg_temp.ingest_dropped_keys;

CREATE TEMP TABLE ingest_customers (
    row_no               integer NOT NULL,
    customer_id          bigint,
    first_name           text,
    last_name            text,
    age                  bigint,
    phone_number         text,
    -- numeric without typmod: a third decimal is refused, never rounded
    monthly_salary       numeric CHECK (abs(monthly_salary) < 1e30 AND scale(monthly_salary) <= 30),
    approved_limit       numeric CHECK (abs(approved_limit) < 1e30 AND scale(approved_limit) <= 30),
    customer_id_text     text,
    age_text             text,
    monthly_salary_text  text,
    approved_limit_text  text
) ON COMMIT DROP;

CREATE TEMP TABLE ingest_loans (
    row_no                  integer NOT NULL,
    customer_id             bigint,
    source_loan_id          bigint,
    loan_amount             numeric CHECK (abs(loan_amount) < 1e30 AND scale(loan_amount) <= 30),
    tenure                  bigint,
    interest_rate           numeric
                            CHECK (abs(interest_rate) < 1e30 AND scale(interest_rate) <= 30),
    monthly_payment         numeric
                            CHECK (abs(monthly_payment) < 1e30 AND scale(monthly_payment) <= 30),
    emis_paid_on_time       bigint,
    start_date              date,
    end_date                date,
    customer_id_text        text,
    loan_id_text            text,
    loan_amount_text        text,
    tenure_text             text,
    interest_rate_text      text,
    monthly_payment_text    text,
    emis_paid_on_time_text  text,
    start_date_text         text,
    end_date_text           text
) ON COMMIT DROP;

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
