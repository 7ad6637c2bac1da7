"""Application config: stores the service's time zone as the database default after migrate."""

from __future__ import annotations

import logging

from django.apps import AppConfig
from django.db import DatabaseError
from django.db.models.signals import post_migrate

logger = logging.getLogger(__name__)


def _store_time_zone(using: str, **_: object) -> None:
    """Make psql sessions agree with the service on credit_today() (needs database ownership)."""
    from django.db import connections

    from core.sqlfiles import read_sql

    try:
        with connections[using].cursor() as cursor:
            cursor.execute(read_sql("sql/queries/store_time_zone.sql"))
    except DatabaseError as exc:  # e.g. the migrating role does not own the database
        logger.warning("credit.time_zone not stored as the database default: %s", exc)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Credit approval"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import schema  # noqa: F401  (registers the OpenAPI field extensions)

        post_migrate.connect(_store_time_zone, sender=self)
