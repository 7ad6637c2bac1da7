DROP FUNCTION IF EXISTS ingest_text_problem(text, integer);
DROP FUNCTION IF EXISTS ingest_date_problem(text, date);
DROP FUNCTION IF EXISTS ingest_decimal_problem(text, numeric, numeric, boolean, numeric);
DROP FUNCTION IF EXISTS ingest_integer_problem(text, bigint, bigint, bigint);
DROP FUNCTION IF EXISTS ingest_date(text);
DROP FUNCTION IF EXISTS ingest_decimal(text);
DROP FUNCTION IF EXISTS ingest_integer(text);
