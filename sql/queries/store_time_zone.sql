-- Store this session's credit.time_zone (DJANGO_TIME_ZONE) as the database default, so that
-- every later session, psql included, sees the same credit_today(). Run after `migrate`.
-- (Written without format() placeholders: the driver treats percent signs as parameters.)
DO $$
BEGIN
    EXECUTE 'ALTER DATABASE ' || quote_ident(current_database())
         || ' SET credit.time_zone = ' || quote_literal(current_setting('credit.time_zone'));
END
$$;
