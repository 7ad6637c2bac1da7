"""A run's life in ingestion_runs, one row per run: enqueued on the Celery broker (queued),
taken by a worker (running), ended (succeeded with its result, or failed with its report). The
row, written outside the run's transaction, is the record of how the run ended."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import KombuError
from kombu.utils.url import maybe_sanitize_url
from redis.exceptions import RedisError

from core.models import IngestionRun, IngestionStatus
from core.services.health import broker_is_up
from core.services.ingestion.errors import FailureReport, IngestionFailed
from core.services.ingestion.steps import run_sql

if TYPE_CHECKING:
    from core.services.ingestion.steps import IngestionResult

logger = logging.getLogger(__name__)

INGEST_TASK = "core.tasks.ingest_data"

MAX_ATTEMPTS = 3  # deliveries of a run whose worker died each time (killed): then it fails


def files_digest(customers_file: Path, loans_file: Path) -> str:
    """SHA-256 of the customer file's bytes followed by the loan file's (ingestion_runs
    .files_digest): the same digest means the same files, whatever their modification times."""
    digest = hashlib.sha256()
    for path in (customers_file, loans_file):
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


class BrokerUnavailable(Exception):
    """The Celery broker cannot be reached, so nothing was enqueued."""


def enqueue_ingestion(customers_file: Path, loans_file: Path, digest: str | None = None) -> str:
    """Record a queued run (with the files' digest, taken here when not given) and send its
    task; returns the task id. The broker is pinged first (seconds at most): an unreachable
    broker fails at once instead of leaving the caller to the client's retries."""
    broker = maybe_sanitize_url(settings.CELERY_BROKER_URL)
    if not broker_is_up():
        raise BrokerUnavailable(f"cannot reach the Celery broker at {broker}; is Redis running?")
    task_id = str(uuid.uuid4())
    digest = digest or files_digest(customers_file, loans_file)
    run = record_queued(task_id, customers_file, loans_file, digest)
    try:
        current_app.send_task(
            INGEST_TASK, args=[str(customers_file), str(loans_file)], task_id=task_id, retry=False
        )
    except (KombuError, RedisError, OSError) as exc:
        fail_run(run, FailureReport(f"could not enqueue the run: {exc}"))
        message = f"cannot send the task to the Celery broker at {broker}: {exc}"
        raise BrokerUnavailable(message) from exc
    return task_id


def record_queued(task_id: str, customers: Path, loans: Path, digest: str | None = None):
    """The row of a run just sent to the broker."""
    return IngestionRun.objects.create(
        task_id=task_id, customers_file=str(customers), loans_file=str(loans),
        files_digest=digest, status=IngestionStatus.QUEUED,
    )  # fmt: skip


def start_run(task_id: str | None, customers: Path, loans: Path) -> IngestionRun:
    """Mark the run running (its queued row, or a new one) and hold its lock (hold_run.sql) until
    release_run; a redelivered task starts over, unless its worker died in each of MAX_ATTEMPTS
    attempts: then the run fails (IngestionFailed). Runs of dead workers are marked first."""
    mark_abandoned()
    values = {
        "customers_file": str(customers), "loans_file": str(loans),
        "status": IngestionStatus.RUNNING, "started_at": timezone.now(), "finished_at": None,
        "rows_read": 0, "rows_inserted": 0, "rows_updated": 0, "ids_remapped": 0,
        "error_report": None, "result": None,
    }  # fmt: skip
    with transaction.atomic():  # the row says running only once its lock is held
        if task_id is None:  # a run called directly (tests, benchmarks), not by a task
            run = IngestionRun.objects.create(**values, attempts=1)
        else:
            run, _ = IngestionRun.objects.update_or_create(task_id=task_id, defaults=values)
            IngestionRun.objects.filter(pk=run.pk).update(attempts=F("attempts") + 1)
            run.refresh_from_db(fields=["attempts"])
        with connection.cursor() as cursor:
            run_sql(cursor, "hold_run", {"run_id": run.pk})
    if run.attempts > MAX_ATTEMPTS:
        report = FailureReport(
            f"ingestion gave up: its worker died during each of the {MAX_ATTEMPTS} attempts of "
            "this run (killed, e.g. out of memory); nothing was loaded"
        )
        fail_run(run, report)
        release_run(run)
        raise IngestionFailed(report)
    return run


def release_run(run: IngestionRun) -> None:
    """Let go of the run's lock (its row already records how it ended); never raises."""
    try:
        with connection.cursor() as cursor:
            run_sql(cursor, "release_run", {"run_id": run.pk})
    except DatabaseError:
        logger.exception("could not release the lock of ingestion run %s", run.pk)


def mark_abandoned(task_id: str | None = None) -> list[int]:
    """Mark failed every run left running by a dead worker (or only task_id's); their ids."""
    with connection.cursor() as cursor:
        run_sql(cursor, "abandoned_runs", {"task_id": task_id})
        marked = [row[0] for row in cursor.fetchall()]
    for run_id in marked:
        logger.warning("ingestion run %s was abandoned by its worker; marked failed", run_id)
    return marked


def succeed_run(run: IngestionRun, result: IngestionResult) -> None:
    """Record success with the run's result (its counts)."""
    IngestionRun.objects.filter(pk=run.pk).update(
        status=IngestionStatus.SUCCEEDED, finished_at=timezone.now(), result=result.as_dict(),
        rows_read=result.rows_read, rows_inserted=result.rows_inserted,
        rows_updated=result.rows_updated, ids_remapped=result.ids_remapped,
    )  # fmt: skip


def fail_run(
    run: IngestionRun, report: FailureReport, *, rows_read: int = 0, refused: bool = False
) -> None:
    """Record the failure; never raises (the original error matters more). refused: the files
    themselves were refused (a report, a missing column, an unreadable workbook) and would fail
    again; otherwise (a crash, a lost database) a rerun may succeed."""
    run.status, run.finished_at, run.rows_read = IngestionStatus.FAILED, timezone.now(), rows_read
    run.error_report = asdict(report) | {"refused": refused}  # (the problems as dicts too)
    try:
        run.save(update_fields=["status", "finished_at", "rows_read", "error_report"])
    except DatabaseError:
        logger.exception("could not record the failure of ingestion run %s", run.pk)


def last_succeeded_run() -> IngestionRun | None:
    return IngestionRun.objects.filter(status=IngestionStatus.SUCCEEDED).order_by("-id").first()


def refused_run_of(customers: Path, loans: Path, digest: str) -> IngestionRun | None:
    """The last run of these very files (same paths, same digest) when it was refused."""
    files = {"customers_file": str(customers), "loans_file": str(loans), "files_digest": digest}
    last = IngestionRun.objects.filter(**files).order_by("-id").first()
    refused = last is not None and (last.error_report or {}).get("refused")
    return last if refused and last.status == IngestionStatus.FAILED else None


def run_of_task(task_id: str) -> IngestionRun | None:
    return IngestionRun.objects.filter(task_id=task_id).first()
