"""Celery tasks: thin wrappers that call services."""

from __future__ import annotations

import logging
from pathlib import Path

from celery import shared_task
from celery.signals import worker_ready

from core.models import IngestionStatus
from core.services import idempotency, loans
from core.services.ingestion import pipeline, runs
from core.services.ingestion.errors import IngestionFailed

logger = logging.getLogger(__name__)


@shared_task(name="core.tasks.close_matured_loans")
def close_matured_loans() -> int:
    """Daily (Celery beat) and once at worker start: close loans whose end_date has come."""
    closed = loans.close_matured_loans()
    logger.info("maturity sweep closed %d loans", closed)
    return closed


@shared_task(name="core.tasks.purge_expired_idempotency_keys")
def purge_expired_idempotency_keys() -> int:
    """Daily (Celery beat): delete the idempotency keys whose IDEMPOTENCY_TTL has passed."""
    deleted = idempotency.purge_expired()
    logger.info("deleted %d expired idempotency keys", deleted)
    return deleted


@worker_ready.connect
def _sweep_at_worker_start(sender=None, **_: object) -> None:
    close_matured_loans.delay()


@shared_task(bind=True, name="core.tasks.ingest_data", throws=(IngestionFailed,))
def ingest_data(self, customers_file: str, loans_file: str) -> dict[str, int]:
    """Load the customer and loan workbooks (all or nothing), publishing PROGRESS states."""

    task_id = self.request.id  # (self.request is thread-local; the pipeline publishes from two)
    recorded = runs.run_of_task(task_id) if task_id else None
    if recorded is not None and recorded.status == IngestionStatus.SUCCEEDED:
        # The task delivered again after its run committed (the broker was lost before the
        # acknowledgement reached it): the run's row is the record of its outcome, so the run
        # is not repeated (which would record nothing inserted) and the row's figures stand.
        logger.warning("ingestion %s: delivered again after its run succeeded", task_id)
        return recorded.result

    def publish(meta: dict) -> None:
        # Progress is best-effort: a result backend (Redis) lost mid-run must not fail a load
        # that can finish, so any error of publishing is logged and the run goes on.
        if not task_id:
            return
        try:
            self.update_state(task_id=task_id, state="PROGRESS", meta=meta)
        except Exception:
            logger.warning("ingestion %s: could not publish progress", task_id, exc_info=True)

    result = pipeline.run_ingestion(
        Path(customers_file), Path(loans_file), task_id=task_id, on_progress=publish
    )
    return result.as_dict()
