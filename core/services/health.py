"""The state of the service's dependencies: GET /health, GET /health/ready and /metrics, the
broker check before an ingestion is enqueued, and the containers' start-up waits
(docker/bootstrap.py) all probe through here. GET /health/live checks nothing here: a process
that answers it is alive. GET /health alone reuses its last probe for HEALTH_CACHE_SECONDS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

BROKER_TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class HealthReport:
    database: bool
    broker: bool

    @property
    def ok(self) -> bool:
        return self.database and self.broker


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def database_problem() -> str | None:
    """None when PostgreSQL answers a trivial query on the default connection, else why not
    (the first line of the error; the broken connection is closed, so the next try is new)."""
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        connection.close()
        return _first_line(exc)
    return None


def broker_problem(timeout: float = BROKER_TIMEOUT_SECONDS) -> str | None:
    """None when the Celery broker (Redis) answers PING within timeout seconds, else why not."""
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=timeout, socket_timeout=timeout
    )
    try:
        if not client.ping():
            return "no answer to PING"
    except (redis.RedisError, OSError) as exc:
        return _first_line(exc)
    finally:
        client.close()
    return None


def database_is_up() -> bool:
    return database_problem() is None


def broker_is_up() -> bool:
    return broker_problem() is None


class _LastProbe:
    """The last /health probe of this process: (what was probed, when, the report).
    What was probed is the database and broker addresses, so a changed setting probes anew.
    (Threads replace it whole; two threads may both probe when it expires.)"""

    entry: tuple[tuple, float, HealthReport] | None = None


def _probed_targets() -> tuple:
    db = connection.settings_dict
    return (db["HOST"], db["PORT"], db["NAME"], settings.CELERY_BROKER_URL)


def check_health() -> HealthReport:
    """Both dependencies, probed at most once per HEALTH_CACHE_SECONDS in this process: in
    between, the last report is answered (so it may be that many seconds old)."""
    targets, now = _probed_targets(), time.monotonic()
    entry = _LastProbe.entry
    if entry is not None and entry[0] == targets and now - entry[1] < settings.HEALTH_CACHE_SECONDS:
        return entry[2]
    report = HealthReport(database=database_is_up(), broker=broker_is_up())
    _LastProbe.entry = (targets, now, report)
    return report


@dataclass(frozen=True)
class Readiness:
    database: bool
    migrations: bool | None  # None: unknown (the database is down)
    broker: bool

    @property
    def ready(self) -> bool:
        return self.database and bool(self.migrations) and self.broker


@cache
def _migrations_on_disk() -> frozenset[tuple[str, str]]:
    """Every migration this code ships (read from disk once per process)."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def migrations_applied() -> bool | None:
    """True when the database has recorded every migration of this code; None when it cannot
    be asked (one query: the django_migrations table)."""
    try:
        applied = MigrationRecorder(connection).applied_migrations()
    except DatabaseError:
        return None
    return _migrations_on_disk() <= set(applied)


def check_readiness() -> Readiness:
    database = database_is_up()
    return Readiness(
        database=database,
        migrations=migrations_applied() if database else None,
        broker=broker_is_up(),
    )
