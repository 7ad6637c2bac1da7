-- Spreadsheet cell rules for ingestion, version 3: why a staged cell is refused, or NULL. A cell
-- is staged as its column's type, or as text in the column's text field when the reader could
-- not read it so (core/services/ingestion/read.py); each rule is a generated column of the
-- staging table, with the bounds of the column's definition (columns.py), judged as COPY stores
-- the row. IMMUTABLE single expressions, inlined there; the first branch passes a valid cell.

-- A whole-number cell: missing, not a whole number (the text field holds the cell, e.g. 12.5;
-- a whole number too large for bigint comes as its digits), out of range (NULL bounds are open).
CREATE OR REPLACE FUNCTION ingest_integer_problem(
    p_value bigint, p_text text, p_min bigint, p_max bigint
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN p_value >= coalesce(p_min, p_value) AND p_value <= coalesce(p_max, p_value) THEN NULL
        WHEN p_value IS NULL AND p_text IS NULL THEN 'missing value'
        WHEN p_value IS NULL AND p_text !~ '^[+-]?[0-9]+$' THEN 'not a whole number'
        WHEN coalesce(p_value::numeric, p_text::numeric) < p_min
            THEN 'must be at least ' || p_min::text
        WHEN coalesce(p_value::numeric, p_text::numeric) > p_max
            THEN 'must be at most ' || p_max::text
    END
$$;

COMMENT ON FUNCTION ingest_integer_problem(bigint, text, bigint, bigint) IS
    'Ingestion: why a whole-number cell is refused (missing, not a whole number, out of range), or NULL.';

-- A number cell: missing, not a number (the text field holds the cell; NaN and infinities are
-- no amounts), more than p_decimals decimals, out of range (p_min itself allowed unless
-- p_min_exclusive; NULL bounds are open, and skip the first test). NaN, above every number,
-- fails the first test.
CREATE OR REPLACE FUNCTION ingest_number_problem(
    p_value numeric, p_text text, p_decimals integer, p_min numeric, p_min_exclusive boolean,
    p_max numeric
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN p_value <= p_max AND scale(p_value) <= p_decimals
             AND (p_value > p_min OR (p_value = p_min AND NOT p_min_exclusive)) THEN NULL
        WHEN p_value IS NULL AND p_text IS NULL THEN 'missing value'
        WHEN p_value IS NULL OR p_value = 'NaN' OR abs(p_value) = 'Infinity' THEN 'not a number'
        WHEN scale(trim_scale(p_value)) > p_decimals
            THEN 'more than ' || p_decimals::text || ' decimals'
        WHEN p_min_exclusive AND p_value <= p_min THEN 'must be greater than ' || p_min::text
        WHEN p_value < p_min THEN 'must be at least ' || p_min::text
        WHEN p_value > p_max THEN 'must be at most ' || p_max::text
    END
$$;

COMMENT ON FUNCTION ingest_number_problem(numeric, text, integer, numeric, boolean, numeric) IS
    'Ingestion: why a number cell is refused (missing, not a number, too many decimals, out of range), or NULL.';

-- A date cell: missing, not a date (the text field holds the cell), outside p_min..p_max, then
-- refused with p_range_reason (the bounds as ISO text: date::text depends on DateStyle, which
-- would make the rule STABLE, neither a generated column nor inlined).
CREATE OR REPLACE FUNCTION ingest_date_problem(
    p_value date, p_text text, p_min date, p_max date, p_range_reason text
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN p_value BETWEEN p_min AND p_max THEN NULL
        WHEN p_value IS NULL AND p_text IS NULL THEN 'missing value'
        WHEN p_value IS NULL THEN 'not a date (an Excel date or YYYY-MM-DD text)'
        WHEN p_value NOT BETWEEN p_min AND p_max THEN p_range_reason
    END
$$;

COMMENT ON FUNCTION ingest_date_problem(date, text, date, date, text) IS
    'Ingestion: why a date cell is refused (missing, not a date, outside the plausible range), or NULL.';

-- A text cell: missing (blank), longer than p_max_length characters, not matching p_pattern
-- (then refused with p_pattern_reason). NULL limits do not apply.
CREATE OR REPLACE FUNCTION ingest_text_problem(
    p_text text, p_max_length integer, p_pattern text, p_pattern_reason text
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN p_text IS NULL OR p_text ~ '^\s*$' THEN 'missing value'
        WHEN char_length(p_text) > p_max_length
            THEN 'longer than ' || p_max_length::text || ' characters'
        WHEN p_text !~ p_pattern THEN p_pattern_reason
    END
$$;

COMMENT ON FUNCTION ingest_text_problem(text, integer, text, text) IS
    'Ingestion: why a text cell is refused (blank, too long, not of its pattern), or NULL.';
