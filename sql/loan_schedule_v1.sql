-- Loan calendar functions, version 1: installment k of a loan falls due on start_date + k months,
-- month-end clamped exactly as PostgreSQL's date + interval does (Jan 31 + 1 month = Feb 28/29).
-- The CHECK on loans.end_date, the credit views and the API's repayments_left all use these.

CREATE OR REPLACE FUNCTION loan_end_date(p_start_date date, p_months integer) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT (p_start_date + make_interval(months => p_months))::date
$$;

COMMENT ON FUNCTION loan_end_date(date, integer) IS
    'p_start_date + p_months calendar months, month-end clamped (the date of installment number p_months).';

CREATE OR REPLACE FUNCTION loan_months_elapsed(p_start_date date, p_as_of date) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT ((extract(year FROM p_as_of) - extract(year FROM p_start_date)) * 12
            + extract(month FROM p_as_of) - extract(month FROM p_start_date))::integer
$$;

COMMENT ON FUNCTION loan_months_elapsed(date, date) IS
    'Calendar months from the month of p_start_date to the month of p_as_of (may be negative).';

CREATE OR REPLACE FUNCTION loan_installments_due(p_start_date date, p_tenure integer, p_as_of date)
RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT greatest(0, least(p_tenure,
        loan_months_elapsed(p_start_date, p_as_of)
        - (loan_end_date(p_start_date, loan_months_elapsed(p_start_date, p_as_of)) > p_as_of)::integer))
$$;

COMMENT ON FUNCTION loan_installments_due(date, integer, date) IS
    'Number of k in 1..p_tenure with p_start_date + k months (month-end clamped) <= p_as_of.';
