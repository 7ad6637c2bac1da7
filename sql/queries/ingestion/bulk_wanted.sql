-- Whether this run is a bulk load (load.py): it inserts at least min_loans loans and at least
-- as many as loans holds already (the first load, or one that doubles the table). Rebuilding
-- the keys and indexes then costs less than updating them row by row.
-- Parameters: new_loans, min_loans.
SELECT %(min_loans)s > 0
   AND %(new_loans)s >= %(min_loans)s
   AND %(new_loans)s >= (SELECT count(*) FROM loans);
