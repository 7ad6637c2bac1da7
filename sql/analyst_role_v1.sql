-- analyst role, version 1: read-only access to the two credit views and nothing else.
--
-- `manage.py migrate` runs this file; it creates the role only when the migrating user may
-- create roles. Otherwise a DBA runs it once as a superuser (psql -f sql/analyst_role_v1.sql
-- DBNAME) and then gives people logins in the role:
--     CREATE ROLE alice LOGIN PASSWORD '...' IN ROLE credit_analyst;
-- The views read customers and loans with their owner's rights, so the role needs (and has)
-- no privilege on any table; the views carry no phone numbers or names.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'credit_analyst')
       AND EXISTS (SELECT 1 FROM pg_roles
                    WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
        CREATE ROLE credit_analyst NOLOGIN;
        COMMENT ON ROLE credit_analyst IS
            'Read-only analysts: SELECT on customer_credit_features and customer_credit_scores only.';
    END IF;

    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'credit_analyst') THEN
        EXECUTE 'GRANT CONNECT ON DATABASE ' || quote_ident(current_database()) || ' TO credit_analyst';
        GRANT USAGE ON SCHEMA public TO credit_analyst;
        GRANT SELECT ON customer_credit_features, customer_credit_scores TO credit_analyst;
        REVOKE ALL ON customers, loans FROM credit_analyst;
    ELSE
        RAISE NOTICE 'role credit_analyst not created (no CREATEROLE); a DBA runs sql/analyst_role_v1.sql';
    END IF;
END
$$;
