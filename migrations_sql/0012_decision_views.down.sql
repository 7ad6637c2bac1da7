-- Undo migration 0012: the analyst role's grants on the decision views, the two views,
-- credit_day(), and version 2 of customer_credit_scores (back to version 1, whose file the
-- migration's reverse runs after this one, followed by the role's version 1 grants).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'credit_analyst') THEN
        REVOKE ALL ON decision_outcomes_daily, customer_latest_decision FROM credit_analyst;
        COMMENT ON ROLE credit_analyst IS
            'Read-only analysts: SELECT on customer_credit_features and customer_credit_scores only.';
    END IF;
END
$$;
DROP VIEW IF EXISTS customer_latest_decision;
DROP VIEW IF EXISTS decision_outcomes_daily;
DROP FUNCTION IF EXISTS credit_day(timestamptz);
DROP VIEW IF EXISTS customer_credit_scores;
