-- analyst role, version 2: read-only access to the analysts' views and nothing else.
--   customer_credit_features, customer_credit_scores   (the credit score and its inputs)
--   loan_balances                                      (what each loan still owes)
--   decision_outcomes_daily, customer_latest_decision  (the decision log, summarised)
-- No table is readable: not customers or loans (names, phone numbers), and not loan_decisions,
-- whose request ids and API key names are operational data; the two decision views leave those
-- columns out.
--
-- `manage.py migrate` runs this file; it creates the role only when the migrating user may
-- create roles. Otherwise a DBA runs it once as a superuser (psql -f sql/analyst_role_v2.sql
-- DBNAME) and then gives people logins in the role:
--     CREATE ROLE alice LOGIN PASSWORD '...' IN ROLE credit_analyst;
-- The views read the tables with their owner's rights, so the role needs no table privilege.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'credit_analyst')
       AND EXISTS (SELECT 1 FROM pg_roles
                    WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
        CREATE ROLE credit_analyst NOLOGIN;
    END IF;

    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'credit_analyst') THEN
        COMMENT ON ROLE credit_analyst IS
            'Read-only analysts: SELECT on customer_credit_features, customer_credit_scores, loan_balances, decision_outcomes_daily and customer_latest_decision only.';
        EXECUTE 'GRANT CONNECT ON DATABASE ' || quote_ident(current_database()) || ' TO credit_analyst';
        GRANT USAGE ON SCHEMA public TO credit_analyst;
        GRANT SELECT ON customer_credit_features, customer_credit_scores, loan_balances,
                        decision_outcomes_daily, customer_latest_decision TO credit_analyst;
        REVOKE ALL ON customers, loans, repayments, loan_decisions FROM credit_analyst;
    ELSE
        RAISE NOTICE 'role credit_analyst not created (no CREATEROLE); a DBA runs sql/analyst_role_v2.sql';
    END IF;
END
$$;
