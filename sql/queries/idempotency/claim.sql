-- Hold an idempotency key for this transaction and read what it holds, in one round trip.
--
-- locked: a transaction-level advisory lock on (the idempotency_keys table, hash of scope and
-- key), released when the request's transaction commits or rolls back; never waits. False
-- means another request holds the key right now (409 request_in_progress). A hash collision
-- between two keys in flight at the same moment only makes one of them retry.
--
-- The row columns are null when the key is unused. The lookup sees the rows committed when
-- this statement began: a request that held the key and committed in the instant between
-- that and taking the lock goes unseen here, and this request's own insert of the key then
-- fails on idempotency_keys_scope_key_unique, rolling its effect back (409, then a replay).
SELECT pg_try_advisory_xact_lock(
           'idempotency_keys'::regclass::oid::integer,
           hashtext(%(scope)s || E'\n' || %(key)s)
       ) AS locked,
       k.id,
       k.fingerprint,
       k.response_status,
       k.response_content_type,
       k.response_body,
       k.expires_at > now() AS live
  FROM (SELECT 1) AS one
  LEFT JOIN idempotency_keys AS k ON k.scope = %(scope)s AND k.key = %(key)s;
