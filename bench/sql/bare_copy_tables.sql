-- The floor's tables (bench/ingest.py): one text column per column of each sheet, no key,
-- index, constraint or trigger. Made, and committed, before the timed COPY.
CREATE TABLE bare_customers (c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text);
CREATE TABLE bare_loans (c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text,
                         c8 text, c9 text);
