-- Loan ledger functions, version 1: how many installments a loan has settled, and its full
-- schedule (recorded past and projected future). The API's view-loans, view-statement and
-- make-payment and the views loan_balances and customer_credit_features (v2) all use these,
-- so each rule lives here once.
--
-- Which installments are settled:
--   * a loan with recorded payments (repayments): installments 1..n of its last payment n,
--     all of them (tenure) once a payment brought the balance to 0.00;
--   * a loan from the spreadsheet without recorded payments: the installments due by the
--     calendar (its history is the file's; the answers for loaded loans do not move);
--   * a loan made through the API without payments: none.
-- The functions read repayments with their owner's rights (SECURITY DEFINER), so an analyst
-- who may read loan_balances needs no privilege on the tables.

-- The EMI that amortizes a loan's terms, exactly as core/services/emi.py monthly_installment
-- computes it (P·r·(1+r)^n / ((1+r)^n − 1), r = rate / 1200, P/n at 0 %, rounded once to 0.01
-- half up; tests hold the two equal). The schedule of a loan loaded from the spreadsheet runs at
-- this EMI: the file's "Monthly payment" is kept on the loan (view-loans, the 50 % rule) but
-- does not amortize its terms (in the real file it is 0.9x to 3.6x this EMI).
CREATE OR REPLACE FUNCTION loan_emi(p_principal numeric, p_annual_rate numeric, p_tenure integer)
RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT round(CASE WHEN p_annual_rate = 0 THEN p_principal::numeric(60, 40) / p_tenure
                      ELSE p_principal * g.r * g.growth / (g.growth - 1) END, 2)
      FROM (SELECT x.r, power(1 + x.r, p_tenure) AS growth
              FROM (SELECT p_annual_rate::numeric(60, 50) / 1200 AS r) AS x) AS g
$$;

COMMENT ON FUNCTION loan_emi(numeric, numeric, integer) IS
    'EMI amortizing p_principal at p_annual_rate percent over p_tenure months, rounded to 0.01 half up (the same figure as the service''s EMI).';

CREATE OR REPLACE FUNCTION loan_installments_settled(
    p_loan_id bigint, p_source_loan_id bigint, p_start_date date, p_tenure integer, p_as_of date
) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
    SELECT coalesce(
        (SELECT CASE WHEN r.balance_after = 0 THEN p_tenure ELSE r.installment_number END
           FROM repayments AS r
          WHERE r.loan_id = p_loan_id
          ORDER BY r.installment_number DESC
          LIMIT 1),
        CASE WHEN p_source_loan_id IS NOT NULL
             THEN loan_installments_due(p_start_date, p_tenure, p_as_of)
             ELSE 0 END)
$$;

COMMENT ON FUNCTION loan_installments_settled(bigint, bigint, date, integer, date) IS
    'Installments of the loan settled as of p_as_of: by its last recorded payment (all once paid off); without payments, the calendar count for a spreadsheet loan (source_loan_id not null), 0 for an API loan.';

CREATE OR REPLACE FUNCTION loan_repayments_left(
    p_loan_id bigint, p_source_loan_id bigint, p_start_date date, p_tenure integer, p_as_of date
) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT p_tenure - loan_installments_settled(p_loan_id, p_source_loan_id, p_start_date,
                                                p_tenure, p_as_of)
$$;

COMMENT ON FUNCTION loan_repayments_left(bigint, bigint, date, integer, date) IS
    'repayments_left of the API and the views: installments not yet settled (tenure - loan_installments_settled).';

-- loan_schedule(loan_id[, as_of]): one row per installment 1..tenure, in order.
--   * Installments settled by the spreadsheet's history (before the first recorded payment of a
--     loaded loan) follow the standard schedule of its terms (loan_emi); the file says how many were
--     paid on time, not which, so the first that many show paid_on_time, the rest paid_late;
--     their paid_on is unknown (null) and amount_paid is the scheduled amount.
--   * Recorded installments show what the ledger recorded.
--   * The future follows the current EMI from the current balance: interest = balance x
--     rate / 1200 rounded to 0.01 half up; the installment asks for the EMI, or for everything
--     owed when that is less or it is the last installment, so the balance ends at 0.00
--     (the same rule as core/services/emi.py next_installment). A schedule paid off early
--     ends at the installment that paid it off.
-- status: paid_on_time, paid_late, overdue (unsettled, due date before as_of), due (the first
-- unsettled installment due on or after as_of), upcoming (the later ones).
CREATE OR REPLACE FUNCTION loan_schedule(p_loan_id bigint, p_as_of date DEFAULT credit_today())
RETURNS TABLE (
    installment_number integer,
    due_date date,
    amount numeric(14, 2),
    interest numeric(14, 2),
    principal numeric(14, 2),
    balance numeric(14, 2),
    status text,
    paid_on date,
    amount_paid numeric(14, 2)
)
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_loan loans%ROWTYPE;
    v_rec repayments%ROWTYPE;
    v_first repayments%ROWTYPE;
    v_history integer;       -- installments settled by the spreadsheet's history
    v_history_on_time integer;
    v_emi numeric;
    v_balance numeric;
    v_interest numeric;
    v_amount numeric;
    v_k integer;
    v_due_seen boolean := false;
BEGIN
    SELECT * INTO v_loan FROM loans WHERE loans.loan_id = p_loan_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    SELECT * INTO v_first FROM repayments AS r
     WHERE r.loan_id = p_loan_id ORDER BY r.installment_number LIMIT 1;
    IF FOUND THEN
        v_history := v_first.installment_number - 1;
        v_emi := v_first.emi_before;
        v_history_on_time := v_loan.emis_paid_on_time
            - (SELECT count(*) FROM repayments AS r WHERE r.loan_id = p_loan_id AND r.on_time);
    ELSE
        v_history := loan_installments_settled(p_loan_id, v_loan.source_loan_id,
                                               v_loan.start_date, v_loan.tenure, p_as_of);
        -- A loaded loan runs the standard schedule of its terms; an API loan its own EMI.
        v_emi := CASE WHEN v_loan.source_loan_id IS NULL THEN v_loan.monthly_installment
                      ELSE greatest(0.01, loan_emi(v_loan.loan_amount, v_loan.interest_rate,
                                                   v_loan.tenure)) END;
        v_history_on_time := v_loan.emis_paid_on_time;
    END IF;
    v_history_on_time := greatest(0, least(v_history_on_time, v_history));

    v_balance := v_loan.loan_amount;
    v_k := 1;
    WHILE v_k <= v_history AND v_balance > 0 LOOP
        v_interest := round(v_balance * v_loan.interest_rate / 1200, 2);
        v_amount := CASE WHEN v_k >= v_loan.tenure OR v_emi >= v_balance + v_interest
                         THEN v_balance + v_interest ELSE v_emi END;
        v_balance := v_balance - (v_amount - v_interest);
        installment_number := v_k;
        due_date := loan_end_date(v_loan.start_date, v_k);
        amount := v_amount;
        interest := v_interest;
        principal := v_amount - v_interest;
        balance := v_balance;
        status := CASE WHEN v_k <= v_history_on_time THEN 'paid_on_time' ELSE 'paid_late' END;
        paid_on := NULL;
        amount_paid := v_amount;
        RETURN NEXT;
        v_k := v_k + 1;
    END LOOP;

    FOR v_rec IN SELECT * FROM repayments AS r
                  WHERE r.loan_id = p_loan_id ORDER BY r.installment_number LOOP
        installment_number := v_rec.installment_number;
        due_date := loan_end_date(v_loan.start_date, v_rec.installment_number);
        amount := v_rec.installment_due;
        interest := v_rec.interest;
        principal := v_rec.principal;
        balance := v_rec.balance_after;
        status := CASE WHEN v_rec.on_time THEN 'paid_on_time' ELSE 'paid_late' END;
        paid_on := v_rec.paid_on;
        amount_paid := v_rec.amount;
        RETURN NEXT;
        v_balance := v_rec.balance_after;
        v_k := v_rec.installment_number + 1;
        v_emi := v_rec.emi_after;
    END LOOP;

    WHILE v_k <= v_loan.tenure AND v_balance > 0 LOOP
        v_interest := round(v_balance * v_loan.interest_rate / 1200, 2);
        v_amount := CASE WHEN v_k >= v_loan.tenure OR v_emi >= v_balance + v_interest
                         THEN v_balance + v_interest ELSE v_emi END;
        v_balance := v_balance - (v_amount - v_interest);
        installment_number := v_k;
        due_date := loan_end_date(v_loan.start_date, v_k);
        amount := v_amount;
        interest := v_interest;
        principal := v_amount - v_interest;
        balance := v_balance;
        IF due_date < p_as_of THEN
            status := 'overdue';
        ELSIF NOT v_due_seen THEN
            status := 'due';
            v_due_seen := true;
        ELSE
            status := 'upcoming';
        END IF;
        paid_on := NULL;
        amount_paid := NULL;
        RETURN NEXT;
        v_k := v_k + 1;
    END LOOP;
END
$$;

COMMENT ON FUNCTION loan_schedule(bigint, date) IS
    'The loan''s installments 1..tenure as of p_as_of (default credit_today()): due_date, amount asked, interest, principal, balance after, status (paid_on_time, paid_late, overdue, due, upcoming), paid_on and amount_paid where paid. Past: as recorded (spreadsheet history: the standard schedule at the file''s EMI); future: the current EMI, the last installment absorbing the rounding so the balance ends at 0.00.';
