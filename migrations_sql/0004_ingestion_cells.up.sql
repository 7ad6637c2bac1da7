-- Migration 0004's record: version 1 of the spreadsheet cell parsers, as the text staging path
-- of that time used them. Migration 0014 drops them for sql/ingestion_cells_v2.sql.
-- Spreadsheet cell rules for ingestion, version 1. The ingestion stages every cell as text
-- (sql/queries/ingestion/); these functions decide, in one place, what text is a whole number,
-- a decimal or a date (the parsers), and with which reason a cell is refused (the *_problem
-- functions, given the cell's text and its parsed value). The typed load uses the same parsers,
-- so a cell that passes is exactly the value that loads.
-- All are single SQL expressions that PostgreSQL inlines into the set-based queries (only
-- immutable operations inside, or inlining would be refused); each cell's text is matched by
-- one regular expression, once.

-- A whole number: optional sign, up to 18 digits (always fits bigint), optionally ".0".
-- (The first branch is a fast path for plain digits, a subset of the second.)
CREATE OR REPLACE FUNCTION ingest_integer(p_text text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN length(p_text) BETWEEN 1 AND 18 AND translate(p_text, '0123456789', '') = ''
            THEN p_text::bigint
        WHEN p_text ~ '^[+-]?[0-9]{1,18}(\.0*)?$' THEN trunc(p_text::numeric)::bigint
    END
$$;

COMMENT ON FUNCTION ingest_integer(text) IS
    'Ingestion: the whole number a spreadsheet cell''s text holds, or NULL when it holds none.';

-- A decimal in plain notation (no exponent, no NaN or Infinity), up to 30 digits each side.
-- (The first branch is a fast path for unsigned digits with at most one point, a subset of the
-- second.)
CREATE OR REPLACE FUNCTION ingest_decimal(p_text text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN length(p_text) BETWEEN 1 AND 30 AND p_text <> '.'
             AND translate(p_text, '0123456789', '') IN ('', '.')
            THEN p_text::numeric
        WHEN p_text ~ '^[+-]?([0-9]{1,30}(\.[0-9]{0,30})?|\.[0-9]{1,30})$' THEN p_text::numeric
    END
$$;

COMMENT ON FUNCTION ingest_decimal(text) IS
    'Ingestion: the decimal number a spreadsheet cell''s text holds (plain notation), or NULL.';

-- An ISO date, YYYY-MM-DD, optionally followed by a time of day, which is ignored (Excel dates
-- and date-times are staged as ISO dates by the reader). The day must exist in its month.
-- (The shape test has a fast path for the plain ten characters.)
CREATE OR REPLACE FUNCTION ingest_date(p_text text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN ((length(p_text) = 10 AND substr(p_text, 5, 1) = '-' AND substr(p_text, 8, 1) = '-'
               AND translate(p_text, '0123456789', '') = '--')
              OR p_text ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$')
        THEN CASE
            WHEN substr(p_text, 1, 4) <> '0000'
             AND substr(p_text, 6, 2)::integer BETWEEN 1 AND 12
             AND substr(p_text, 9, 2)::integer >= 1
            THEN CASE
                WHEN substr(p_text, 9, 2)::integer
                     <= ((make_date(substr(p_text, 1, 4)::integer, substr(p_text, 6, 2)::integer, 1)
                          + interval '1 month')::date
                         - make_date(substr(p_text, 1, 4)::integer, substr(p_text, 6, 2)::integer, 1))
                THEN make_date(substr(p_text, 1, 4)::integer, substr(p_text, 6, 2)::integer,
                               substr(p_text, 9, 2)::integer)
            END
        END
    END
$$;

COMMENT ON FUNCTION ingest_date(text) IS
    'Ingestion: the date a spreadsheet cell''s text holds (YYYY-MM-DD, a real calendar day), or NULL.';

-- Why a whole-number cell is refused, or NULL: missing, not whole, out of range (NULL bounds
-- are open). p_value is ingest_integer(p_text).
CREATE OR REPLACE FUNCTION ingest_integer_problem(
    p_text text, p_value bigint, p_min bigint, p_max bigint
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN p_text IS NULL THEN 'missing value'
        WHEN p_value IS NULL THEN 'not a whole number'
        WHEN p_value < p_min THEN 'must be at least ' || p_min::text
        WHEN p_value > p_max THEN 'must be at most ' || p_max::text
    END
$$;

COMMENT ON FUNCTION ingest_integer_problem(text, bigint, bigint, bigint) IS
    'Ingestion: why a whole-number cell is refused (missing, not whole, below p_min, above p_max), or NULL.';

-- Why a money or rate cell is refused, or NULL: missing, not a number, more than 2 decimals,
-- out of range (p_min itself allowed unless p_min_exclusive). p_value is ingest_decimal(p_text).
CREATE OR REPLACE FUNCTION ingest_decimal_problem(
    p_text text, p_value numeric, p_min numeric, p_min_exclusive boolean, p_max numeric
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN p_text IS NULL THEN 'missing value'
        WHEN p_value IS NULL THEN 'not a number'
        WHEN scale(trim_scale(p_value)) > 2 THEN 'more than 2 decimals'
        WHEN p_min_exclusive AND p_value <= p_min THEN 'must be greater than ' || p_min::text
        WHEN p_value < p_min THEN 'must be at least ' || p_min::text
        WHEN p_value > p_max THEN 'must be at most ' || p_max::text
    END
$$;

COMMENT ON FUNCTION ingest_decimal_problem(text, numeric, numeric, boolean, numeric) IS
    'Ingestion: why a money or rate cell is refused (missing, not a number, more than 2 decimals, out of range), or NULL.';

-- Why a date cell is refused, or NULL: missing or not a date. p_value is ingest_date(p_text).
CREATE OR REPLACE FUNCTION ingest_date_problem(p_text text, p_value date) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN p_text IS NULL THEN 'missing value'
        WHEN p_value IS NULL THEN 'not a date (an Excel date or YYYY-MM-DD text)'
    END
$$;

COMMENT ON FUNCTION ingest_date_problem(text, date) IS
    'Ingestion: why a date cell is refused (missing, not a date), or NULL.';

-- Why a text cell is refused, or NULL: missing (blank) or longer than p_max_length characters.
CREATE OR REPLACE FUNCTION ingest_text_problem(p_text text, p_max_length integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN p_text IS NULL OR p_text ~ '^\s*$' THEN 'missing value'
        WHEN char_length(p_text) > p_max_length
            THEN 'longer than ' || p_max_length::text || ' characters'
    END
$$;

COMMENT ON FUNCTION ingest_text_problem(text, integer) IS
    'Ingestion: why a text cell is refused (blank, longer than p_max_length), or NULL.';
