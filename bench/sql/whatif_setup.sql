-- bench/ingest_whatif.py: keep the loans the pipeline loaded as a plain source table, then empty
-- loans (through DELETE: its trigger returns every current_debt to 0).
CREATE TABLE whatif_src AS SELECT * FROM loans;
DELETE FROM loans;
