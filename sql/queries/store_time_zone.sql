-- Store this session's credit.time_zone (DJANGO_TIME_ZONE) as the database default, so that
-- every later session, psql included, sees the same credit_today(). Run after `migrate`.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET credit.time_zone = %L',
                   current_database(), current_setting('credit.time_zone'));
END
$$;
