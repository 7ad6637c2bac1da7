-- One file's rows into its staging table (steps.py): {table} and its {columns}, in the order
-- of the reader's fields.
COPY {table} ({columns}) FROM STDIN;
