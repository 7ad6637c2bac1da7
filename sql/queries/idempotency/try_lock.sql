-- One request per idempotency key at a time: a transaction-level advisory lock on
-- (the idempotency_keys table, hash of scope and key), released when the request's transaction
-- commits or rolls back. Never waits: false means another request holds the key right now
-- (answered 409 request_in_progress). A hash collision between two keys in flight at the same
-- moment only makes one of them retry.
SELECT pg_try_advisory_xact_lock(
    'idempotency_keys'::regclass::oid::integer,
    hashtext(%(scope)s || E'\n' || %(key)s)
);
