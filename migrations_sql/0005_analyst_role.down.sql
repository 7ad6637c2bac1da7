-- Undo sql/analyst_role_v1.sql in this database. The role itself is cluster-wide and may
-- serve other databases, so it is left for a DBA to drop.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'credit_analyst') THEN
        REVOKE ALL ON customer_credit_features, customer_credit_scores FROM credit_analyst;
        EXECUTE 'REVOKE CONNECT ON DATABASE ' || quote_ident(current_database()) || ' FROM credit_analyst';
    END IF;
END
$$;
