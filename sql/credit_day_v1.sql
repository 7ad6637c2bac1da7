-- credit_day(timestamptz), version 1: the lender's calendar date of a moment, in the zone
-- named by the setting credit.time_zone (DJANGO_TIME_ZONE; UTC when unset), the same zone
-- credit_today() reads. Used to group decisions by day.
CREATE OR REPLACE FUNCTION credit_day(moment timestamptz) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT (moment AT TIME ZONE coalesce(nullif(current_setting('credit.time_zone', true), ''), 'UTC'))::date
$$;

COMMENT ON FUNCTION credit_day(timestamptz) IS
    'The calendar date of a moment in the zone of setting credit.time_zone (DJANGO_TIME_ZONE; UTC when unset), as credit_today() reads it.';
