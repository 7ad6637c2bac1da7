"""Celery tasks: thin wrappers that call services."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready

from core.services import loans

logger = logging.getLogger(__name__)


@shared_task(name="core.tasks.close_matured_loans")
def close_matured_loans() -> int:
    """Daily (Celery beat) and once at worker start: close loans whose end_date has come."""
    closed = loans.close_matured_loans()
    logger.info("maturity sweep closed %d loans", closed)
    return closed


@worker_ready.connect
def _sweep_at_worker_start(sender=None, **_: object) -> None:
    close_matured_loans.delay()
