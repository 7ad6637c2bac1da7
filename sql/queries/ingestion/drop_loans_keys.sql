-- Bulk loads only (load.py, under bulk_lock.sql): the keys and indexes of loans are dropped
-- before insert_loans.sql and rebuilt by restore_loans_keys.sql, in the same transaction.
-- Building an index once over all rows is much cheaper than inserting a million entries one
-- by one, and the foreign key is then checked by one join instead of a million row-level
-- lookups. No other session ever sees loans without them: the lock is held until commit, and
-- a run that fails rolls the drop back with everything else.
-- Each is remembered with its table, definition and comment as PostgreSQL prints them, so it
-- comes back exactly as the migrations made it. Foreign keys of other tables that point into
-- loans (repayments_loan_id_fkey) are dropped and rebuilt too: they need the primary key.
CREATE TEMP TABLE ingest_dropped_keys ON COMMIT DROP AS
SELECT c.conname::text AS name, c.conrelid::regclass::text AS table_name,
       'constraint' AS kind, pg_get_constraintdef(c.oid) AS definition,
       obj_description(c.oid, 'pg_constraint') AS comment,
       CASE c.contype WHEN 'f' THEN 3 ELSE 1 END AS rebuild_order
  FROM pg_constraint AS c
 WHERE (c.conrelid = 'loans'::regclass AND c.contype IN ('f', 'p', 'u'))
    OR (c.contype = 'f' AND c.confrelid = 'loans'::regclass
        AND c.conrelid <> 'loans'::regclass)
UNION ALL
SELECT i.indexrelid::regclass::text, 'loans', 'index', pg_get_indexdef(i.indexrelid),
       obj_description(i.indexrelid, 'pg_class'), 2
  FROM pg_index AS i
 WHERE i.indrelid = 'loans'::regclass
   AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid);

DO $$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT * FROM ingest_dropped_keys ORDER BY rebuild_order DESC, name LOOP
        IF k.kind = 'constraint' THEN
            -- table_name is a regclass name, quoted as needed
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', k.table_name, k.name);
        ELSE
            EXECUTE format('DROP INDEX %s', k.name);  -- a regclass name, quoted as needed
        END IF;
    END LOOP;
END
$$;
