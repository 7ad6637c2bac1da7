-- Bulk loads only (load.py): rebuild what drop_loans_keys.sql dropped, keys and indexes first,
-- the foreign keys last (loans' against customers, repayments' against loans, each checked by
-- one join), each with its comment; then fresh planner statistics for both tables, so the
-- first queries after a load that doubled a table are planned for its new size.
DO $$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT * FROM ingest_dropped_keys ORDER BY rebuild_order, name LOOP
        IF k.kind = 'constraint' THEN
            EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s',
                           k.table_name, k.name, k.definition);
            IF k.comment IS NOT NULL THEN
                EXECUTE format('COMMENT ON CONSTRAINT %I ON %s IS %L',
                               k.name, k.table_name, k.comment);
            END IF;
        ELSE
            EXECUTE k.definition;
            IF k.comment IS NOT NULL THEN
                EXECUTE format('COMMENT ON INDEX %s IS %L', k.name, k.comment);
            END IF;
        END IF;
    END LOOP;
END
$$;

ANALYZE customers, loans;
