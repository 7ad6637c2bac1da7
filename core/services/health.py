"""The state of the service's dependencies: GET /health, GET /health/ready and /metrics.

GET /health/live checks nothing here: a process that answers it is alive.
"""

from __future__ import annotations

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


def database_is_up() -> bool:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def broker_is_up() -> bool:
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL,
        socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
        socket_timeout=BROKER_TIMEOUT_SECONDS,
    )
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def check_health() -> HealthReport:
    return HealthReport(database=database_is_up(), broker=broker_is_up())


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
