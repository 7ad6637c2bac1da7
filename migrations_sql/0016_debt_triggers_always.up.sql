-- The triggers that keep customers.current_debt fire ALWAYS, whatever the session's
-- session_replication_role: current_debt stays the sum of active loans even in a session that
-- skips row triggers, as the ingestion's insert of loans does to check the foreign key to
-- customers once for the whole set (sql/queries/ingestion/insert_loans.sql). The triggers are
-- django-pgtrigger's (core/models.py), named with a hash of their definition, hence the loop.
-- Should pgtrigger reinstall one (it drops and creates it, firing in origin mode again), the
-- ingestion sees it and keeps the foreign key's row checks instead.
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT tgname FROM pg_trigger
                 WHERE tgrelid = 'loans'::regclass AND tgname LIKE 'pgtrigger_loans_current_debt_%'
    LOOP
        EXECUTE format('ALTER TABLE loans ENABLE ALWAYS TRIGGER %I', name);
    END LOOP;
END
$$;
