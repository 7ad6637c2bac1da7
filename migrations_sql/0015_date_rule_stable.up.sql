-- ingest_date_problem as sql/ingestion_cells_v2.sql now declares it: STABLE, so PostgreSQL
-- inlines it into the cell-rules query. Databases migrated before have it IMMUTABLE (0014 ran
-- the file then), which is correct but called once per cell instead of inlined.
ALTER FUNCTION ingest_date_problem(date, text, date, date) STABLE;
