-- loan_is_active(end_date), version 1: the one definition of an active loan, used by every
-- writer of loans.is_active (create-loan, the ingestion's insert and update) and by the
-- maturity sweep that closes loans once it turns false. A loan is active while its end date
-- is after today (credit_today()): on its end date it has matured.
CREATE OR REPLACE FUNCTION loan_is_active(p_end_date date) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT p_end_date > credit_today()
$$;

COMMENT ON FUNCTION loan_is_active(date) IS
    'Whether a loan ending on p_end_date is active today: end_date > credit_today(). The rule behind loans.is_active (create-loan, ingestion, the maturity sweep).';
