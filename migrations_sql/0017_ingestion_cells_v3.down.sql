DROP FUNCTION IF EXISTS ingest_integer_problem(bigint, text, bigint, bigint);
DROP FUNCTION IF EXISTS ingest_number_problem(numeric, text, integer, numeric, boolean, numeric);
DROP FUNCTION IF EXISTS ingest_date_problem(date, text, date, date, text);
DROP FUNCTION IF EXISTS ingest_text_problem(text, integer, text, text);
