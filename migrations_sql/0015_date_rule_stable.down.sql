ALTER FUNCTION ingest_date_problem(date, text, date, date) IMMUTABLE;
