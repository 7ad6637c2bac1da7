"""Following an ingestion run enqueued on the broker to its end, for `manage.py ingest_data
--wait` (and bench/ingest.py, which follows a run as the command does): its progress for the
progress bar, how it ended, and what to tell the operator when no worker takes it or a worker
runs it against another database."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import current_app, states
from django.conf import settings
from django.db import connection
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from core.models import IngestionStatus
from core.services.ingestion import runs
from core.services.ingestion.errors import FailureReport
from core.services.ingestion.progress import FILES, Meta

POLL_SECONDS = 0.25
# How often a running run's lock is checked (runs.mark_abandoned reads pg_locks).
ABANDONED_CHECK_SECONDS = 1.0


class WaitTimedOut(Exception):
    """The run did not end within the time allowed."""


class NoWorker(WaitTimedOut):
    """No worker took the task within the time allowed (the task stays queued)."""


class OtherDatabase(Exception):
    """A worker runs (or ran) the task while this database's run row stays queued."""


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    result: dict[str, Any] | None = None
    report: FailureReport | None = None


def wait_for_ingestion(
    task_id: str,
    on_progress: Callable[[Meta], None],
    *,
    timeout: float | None = None,
    worker_timeout: float | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> Outcome:
    """Follow the run until it ends, passing its progress (the task's PROGRESS states) along.

    The run's row in ingestion_runs is the record of how it ended, whatever the broker kept:
    succeeded with its result, failed with its report, or left running with its lock free by
    a dead worker (runs.mark_abandoned), then failed. A task that failed without its row
    saying so (before its run started) fails with the task's error. Raises NoWorker when the
    run is still queued after worker_timeout seconds, WaitTimedOut when it has not ended after
    timeout seconds (None: no limit), and OtherDatabase when a worker runs the task while this
    database's row of the run stays queued.
    """
    result = current_app.AsyncResult(task_id)
    started = time.monotonic()
    last: Meta = {"stage": "waiting for a worker"}
    next_lock_check = started + ABANDONED_CHECK_SECONDS
    while True:
        # The state first: a worker marks the row running before it publishes any progress.
        state = result.state
        run = runs.run_of_task(task_id)
        status = run.status if run else None
        if status == IngestionStatus.SUCCEEDED:
            on_progress(_final(last, "succeeded", run.result))
            return Outcome(succeeded=True, result=run.result)
        lock_check = status == IngestionStatus.RUNNING and time.monotonic() >= next_lock_check
        if lock_check:
            next_lock_check = time.monotonic() + ABANDONED_CHECK_SECONDS
        if (
            status == IngestionStatus.FAILED
            or state in states.PROPAGATE_STATES  # FAILURE, REVOKED
            or (lock_check and runs.mark_abandoned(task_id))
        ):
            on_progress(_final(last, "failed", None))
            run = runs.run_of_task(task_id)  # (marked abandoned just now, perhaps)
            if run is not None and run.error_report:
                return Outcome(succeeded=False, report=FailureReport.from_json(run.error_report))
            report = FailureReport(f"ingestion task {task_id} failed: {result.result}")
            return Outcome(succeeded=False, report=report)
        if status in (IngestionStatus.QUEUED, None) and state in (states.SUCCESS, "PROGRESS"):
            raise OtherDatabase(_other_database_message(task_id, state))
        if state == "PROGRESS" and isinstance(result.info, dict):
            last = result.info
        elif state != states.PENDING:
            last = {**last, "stage": "started"}
        elif (
            status != IngestionStatus.RUNNING
            and worker_timeout is not None
            and time.monotonic() - started > worker_timeout
        ):
            raise NoWorker(_no_worker_message(task_id, worker_timeout))
        on_progress(last)
        if timeout is not None and time.monotonic() - started > timeout:
            raise WaitTimedOut(f"ingestion task {task_id} did not finish within {timeout:g} s")
        time.sleep(poll_seconds)


def _other_database_message(task_id: str, state: str) -> str:
    database = connection.settings_dict
    where = f"{database['NAME']} on {database['HOST'] or 'localhost'}:{database['PORT'] or 5432}"
    done = "ran" if state == states.SUCCESS else "is running"
    return (
        f"a worker {done} ingestion task {task_id}, but the run is still queued in this "
        f"database ({where}): the worker is connected to another database. Give the worker "
        "and this command the same DATABASE_URL (a run that succeeded loaded the other "
        "database)."
    )


def _no_worker_message(task_id: str, worker_timeout: float) -> str:
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    try:
        answering = len(current_app.control.ping(timeout=1.0))
    except (KombuError, RedisError, OSError):
        answering = 0
    if answering:
        why = (
            f"{answering} worker{'s' if answering != 1 else ''} answered a ping but none took "
            f"it: busy with other tasks, or listening on another queue than {queue!r} "
            "(CELERY_TASK_DEFAULT_QUEUE)"
        )
    else:
        why = "no worker answers on this broker"
    return (
        f"no worker took ingestion task {task_id} within {worker_timeout:g} s ({why}). Start "
        f"one: `celery -A config worker` (queue {queue!r}, the same broker and database), or "
        "`docker compose up -d worker` in the compose stack. The task stays queued and runs "
        "when a worker takes it."
    )


def _final(last: Meta, stage: str, result: dict[str, Any] | None) -> Meta:
    """The last progress line: a succeeded run's data rows per file (from its result, so shown
    even when the run ended between two polls), a failed run's last known counts."""
    meta: Meta = {"stage": stage}
    for name in FILES:
        rows = (result or {}).get(f"{name[:-1]}_rows")
        done = {"done": rows, "total": rows} if isinstance(rows, int) else None
        meta[name] = done or last.get(name) or {"done": 0, "total": 0}
    return meta
