"""Idempotency keys of state-changing requests, stored in PostgreSQL (table idempotency_keys).

A request that carries a key runs inside one transaction that first takes the key's advisory
lock (another request holding it → RequestInProgress, at once), then looks the key up:

- a live row with the same fingerprint → its stored answer is replayed, nothing runs;
- a live row with another fingerprint → IdempotencyKeyReused, nothing runs;
- no row (or an expired one, deleted here) → the request runs, and when it succeeds (2xx) its
  answer is stored in the same transaction as its effect, so a key exists iff its effect
  happened. A failed request stores nothing: the transaction rolls back with its effect.

The fingerprint is SHA-256 over method, path and the canonical JSON of the body: object keys
sorted, no insignificant whitespace, numbers by exact decimal value (12.5, 12.50 and 1.25e1 are
one number; 12 and 12.0 too).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection
from django.db.models.functions import Now

from core.models import IdempotencyKey
from core.services.errors import IdempotencyKeyReused, RequestInProgress
from core.sqlfiles import read_sql

SHARED_SCOPE = "shared"
CLAIM_SQL = "sql/queries/idempotency/claim.sql"
STORE_SQL = "sql/queries/idempotency/store.sql"
UNIQUE_CONSTRAINT = "idempotency_keys_scope_key_unique"


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as sent: status, Content-Type and body bytes."""

    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Claim:
    """A key held by the running request; `replay` is the stored answer when it already ran."""

    scope: str
    key: str
    fingerprint: str
    method: str
    path: str
    replay: Answer | None


def _number(value: int | Decimal) -> str:
    """One spelling per exact value: significant digits without trailing zeros, then the
    exponent (100000, 100000.0 and 1e5 are all 1E5). Decimal.normalize() is not used: it rounds
    to the context's precision first, which would make 1 and 1.0000000000000000000000000001
    one number."""
    sign, digits, exponent = Decimal(value).as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")
    if not significant:
        return "0"
    exponent += len(digits) - len(significant)
    return f"{'-' if sign else ''}{significant}E{exponent}"


def canonical_json(value: object) -> str:
    """One text per JSON value: sorted keys, no whitespace, numbers by exact decimal value."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (int, Decimal)):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical_json(item) for item in value) + "]"
    if isinstance(value, dict):
        items = sorted((str(k), v) for k, v in value.items())
        return "{" + ",".join(f"{json.dumps(k)}:{canonical_json(v)}" for k, v in items) + "}"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def request_fingerprint(method: str, path: str, body: object) -> str:
    text = f"{method.upper()}\n{path}\n{canonical_json(body)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def claim(*, scope: str, key: str, method: str, path: str, body: object) -> Claim:
    """Hold the key for the caller's transaction and say whether the request already ran.

    Must run inside a transaction (transaction.atomic) that also makes the request's effect and
    then calls store(). Raises RequestInProgress when another request holds the key, and
    IdempotencyKeyReused when the key belongs to another request.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("claim() must run inside the request's transaction")
    with connection.cursor() as cursor:
        cursor.execute(read_sql(CLAIM_SQL), {"scope": scope, "key": key})
        locked, row_id, stored_fingerprint, status, content_type, stored_body, live = (
            cursor.fetchone()
        )
    if not locked:
        raise RequestInProgress()
    fingerprint = request_fingerprint(method, path, body)
    replay = None
    if row_id is not None and not live:
        IdempotencyKey.objects.filter(pk=row_id).delete()  # expired: the key is free again
    elif row_id is not None:
        if stored_fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        replay = Answer(status, content_type, bytes(stored_body))
    return Claim(scope, key, fingerprint, method.upper(), path, replay)


def store(claimed: Claim, answer: Answer) -> None:
    """Record the first successful answer under the claimed key (in the effect's transaction)."""
    values = {
        "scope": claimed.scope,
        "key": claimed.key,
        "fingerprint": claimed.fingerprint,
        "method": claimed.method,
        "path": claimed.path,
        "status": answer.status,
        "content_type": answer.content_type,
        "body": answer.body,
        "ttl_seconds": settings.IDEMPOTENCY_TTL,
    }
    try:
        with connection.cursor() as cursor:
            cursor.execute(read_sql(STORE_SQL), values)
    except IntegrityError as exc:
        # Another request stored this key after this one looked (see claim.sql): this
        # request's effect rolls back with its transaction, and the client's retry is replayed.
        diag = getattr(exc.__cause__, "diag", None)
        if getattr(diag, "constraint_name", None) == UNIQUE_CONSTRAINT:
            raise RequestInProgress() from exc
        raise


def purge_expired() -> int:
    """Delete every expired key (the daily beat task); returns how many were deleted."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=Now()).delete()
    return deleted
