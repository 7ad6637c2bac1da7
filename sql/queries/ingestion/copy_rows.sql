-- One file's rows into its staging table {table} (steps.py), whose columns are in the order of
-- the reader's fields (create_staging.sql).
COPY {table} FROM STDIN;
