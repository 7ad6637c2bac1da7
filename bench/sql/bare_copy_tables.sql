-- Baseline (b) of bench/ingest.py: the rows of both files in tables with the real columns'
-- types and nothing else: no primary key, index, constraint or trigger. Made (and committed)
-- before the timed COPY, in a database of its own.
CREATE TABLE bare_customers (
    customer_id     bigint,
    first_name      varchar(100),
    last_name       varchar(100),
    age             smallint,
    phone_number    varchar(15),
    monthly_salary  numeric(14, 2),
    approved_limit  numeric(14, 2)
);

CREATE TABLE bare_loans (
    customer_id          bigint,
    source_loan_id       bigint,
    loan_amount          numeric(14, 2),
    tenure               smallint,
    interest_rate        numeric(5, 2),
    monthly_installment  numeric(14, 2),
    emis_paid_on_time    smallint,
    start_date           date,
    end_date             date
);
