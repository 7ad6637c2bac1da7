"""Liveness of the service's dependencies, for GET /health."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import DatabaseError, connection

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
