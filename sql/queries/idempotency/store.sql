-- The first successful answer of a request under its key, in the transaction of its effect.
INSERT INTO idempotency_keys
       (scope, key, fingerprint, method, path, response_status, response_content_type,
        response_body, expires_at)
VALUES (%(scope)s, %(key)s, %(fingerprint)s, %(method)s, %(path)s, %(status)s,
        %(content_type)s, %(body)s, now() + make_interval(secs => %(ttl_seconds)s));
