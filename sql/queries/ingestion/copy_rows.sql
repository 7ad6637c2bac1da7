-- One file's rows into its staging table (stage.py): {table} and its {columns}, in the order
-- of the reader's fields.
COPY {table} ({columns}) FROM STDIN;
