DO $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT tgname FROM pg_trigger
                 WHERE tgrelid = 'loans'::regclass AND tgname LIKE 'pgtrigger_loans_current_debt_%'
    LOOP
        EXECUTE format('ALTER TABLE loans ENABLE TRIGGER %I', name);
    END LOOP;
END
$$;
