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

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection
from django.db.models import BooleanField, DurationField, ExpressionWrapper, Q, Value
from django.db.models.functions import Now

from core.models import IdempotencyKey
from core.services.errors import IdempotencyKeyReused, RequestInProgress
from core.sqlfiles import read_sql

SHARED_SCOPE = "shared"
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
    number = Decimal(value)
    if number.is_zero():
        return "0"
    # normalize() gives one spelling per value (1E+5 for 100000, 100000.0 and 1e5).
    return str(number.normalize())


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
        cursor.execute(
            read_sql("sql/queries/idempotency/try_lock.sql"), {"scope": scope, "key": key}
        )
        if not cursor.fetchone()[0]:
            raise RequestInProgress()
    fingerprint = request_fingerprint(method, path, body)
    row = (
        IdempotencyKey.objects.filter(scope=scope, key=key)
        .annotate(live=ExpressionWrapper(Q(expires_at__gt=Now()), output_field=BooleanField()))
        .first()
    )
    if row is not None and not row.live:
        row.delete()  # expired: the key is free again
        row = None
    replay = None
    if row is not None:
        if row.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        replay = Answer(row.response_status, row.response_content_type, bytes(row.response_body))
    return Claim(scope, key, fingerprint, method.upper(), path, replay)


def store(claimed: Claim, answer: Answer) -> None:
    """Record the first successful answer under the claimed key (in the effect's transaction)."""
    ttl = dt.timedelta(seconds=settings.IDEMPOTENCY_TTL)
    try:
        IdempotencyKey.objects.create(
            scope=claimed.scope,
            key=claimed.key,
            fingerprint=claimed.fingerprint,
            method=claimed.method,
            path=claimed.path,
            response_status=answer.status,
            response_content_type=answer.content_type,
            response_body=answer.body,
            expires_at=Now() + Value(ttl, output_field=DurationField()),
        )
    except IntegrityError as exc:
        # Unreachable while every writer takes the advisory lock; should it happen, the effect
        # rolls back with this transaction and the client's retry is replayed.
        diag = getattr(exc.__cause__, "diag", None)
        if getattr(diag, "constraint_name", None) == UNIQUE_CONSTRAINT:
            raise RequestInProgress() from exc
        raise


def purge_expired() -> int:
    """Delete every expired key (the daily beat task); returns how many were deleted."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=Now()).delete()
    return deleted
