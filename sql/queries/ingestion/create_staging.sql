-- Staging for one ingestion run, dropped when its transaction ends. A template (steps.py):
-- {customers} and {loans} are each file's columns (core/services/ingestion/columns.py): row_no,
-- the row as Excel numbers it; one column per file column (bigint, numeric, date or text); for
-- each non-text column <column>_text, the cell's text when it is not of the column's kind
-- (read.py), so the rules tell a missing cell from an unreadable one and quote it; then one
-- generated <column>_problem per column, its cell rule's verdict (steps.py).
-- ingest_problems: every refused cell or row, keyed by the staging column's name.
DROP TABLE IF EXISTS pg_temp.ingest_customers, pg_temp.ingest_loans, pg_temp.ingest_problems,
                     pg_temp.ingest_loan_ids;

CREATE TEMP TABLE ingest_customers ({customers}) ON COMMIT DROP;

CREATE TEMP TABLE ingest_loans ({loans}) ON COMMIT DROP;

-- file_order 1 = customer file, 2 = loan file.
CREATE TEMP TABLE ingest_problems (
    file_order   smallint NOT NULL,
    row_no       integer  NOT NULL,
    column_name  text     NOT NULL,
    value        text,
    reason       text     NOT NULL
) ON COMMIT DROP;
