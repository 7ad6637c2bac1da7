-- credit_today(), version 1: the one definition of "today" for views, the maturity sweep,
-- ingestion and the API.
--
-- Today is the calendar date in the zone named by the setting credit.time_zone. The service's
-- connections set it from DJANGO_TIME_ZONE, and `manage.py migrate` stores it as the database
-- default, so an analyst's psql session agrees with the service. A session may pin the date
-- with `SET credit.today = '2026-01-31'` to look at the books "as of" that day (tests do too).
CREATE OR REPLACE FUNCTION credit_today() RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT coalesce(
        nullif(current_setting('credit.today', true), '')::date,
        (now() AT TIME ZONE coalesce(nullif(current_setting('credit.time_zone', true), ''), 'UTC'))::date
    )
$$;

COMMENT ON FUNCTION credit_today() IS
    'Today''s calendar date in the zone of setting credit.time_zone (DJANGO_TIME_ZONE; UTC when unset). SET credit.today = ''YYYY-MM-DD'' pins it for the session (as-of queries).';
