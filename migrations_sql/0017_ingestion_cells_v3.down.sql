DROP FUNCTION IF EXISTS ingest_integer_problem(bigint, text, bigint, bigint);
