"""Enqueueing a run through the Celery broker, and following it to its end.

The command line (manage.py ingest_data) uses these; the worker runs pipeline.run_ingestion.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celery import current_app, states
from django.conf import settings
from kombu.exceptions import KombuError
from kombu.utils.url import maybe_sanitize_url
from redis.exceptions import RedisError

from core.services.health import broker_is_up
from core.services.ingestion import runs
from core.services.ingestion.errors import FailureReport
from core.services.ingestion.progress import FILES, Meta

INGEST_TASK = "core.tasks.ingest_data"
POLL_SECONDS = 0.25


class BrokerUnavailable(Exception):
    """The Celery broker cannot be reached, so nothing was enqueued."""


class WaitTimedOut(Exception):
    """The run did not end within the time allowed."""


def _broker_name() -> str:
    return maybe_sanitize_url(settings.CELERY_BROKER_URL)


def enqueue_ingestion(customers_file: Path, loans_file: Path) -> str:
    """Record a queued run and send its task; returns the task id.

    The broker is pinged first (a couple of seconds at most), so an unreachable broker fails
    at once instead of leaving the caller to the client's retries.
    """
    if not broker_is_up():
        raise BrokerUnavailable(
            f"cannot reach the Celery broker at {_broker_name()}; is Redis running?"
        )
    task_id = str(uuid.uuid4())
    run = runs.record_queued(task_id, customers_file, loans_file)
    try:
        current_app.send_task(
            INGEST_TASK, args=[str(customers_file), str(loans_file)], task_id=task_id, retry=False
        )
    except (KombuError, RedisError, OSError) as exc:
        runs.fail_run(run, FailureReport(message=f"could not enqueue the run: {exc}"))
        raise BrokerUnavailable(
            f"cannot send the task to the Celery broker at {_broker_name()}: {exc}"
        ) from exc
    return task_id


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
    poll_seconds: float = POLL_SECONDS,
) -> Outcome:
    """Poll the task's state until it ends, passing progress along; the failure report comes
    from ingestion_runs (the task's exception text when the run row has none)."""
    result = current_app.AsyncResult(task_id)
    deadline = None if timeout is None else time.monotonic() + timeout
    last: Meta = {"stage": "waiting for a worker"}
    while True:
        state = result.state
        if state == states.SUCCESS:
            on_progress(_final(last, "succeeded", complete=True))
            return Outcome(succeeded=True, result=result.result)
        if state in states.PROPAGATE_STATES:  # FAILURE, REVOKED
            on_progress(_final(last, "failed", complete=False))
            return Outcome(succeeded=False, report=_failure_report(task_id, result))
        if state == "PROGRESS" and isinstance(result.info, dict):
            last = result.info
        elif state != states.PENDING:
            last = {**last, "stage": "started"}
        on_progress(last)
        if deadline is not None and time.monotonic() > deadline:
            raise WaitTimedOut(f"ingestion task {task_id} did not finish within {timeout:g} s")
        time.sleep(poll_seconds)


def _final(last: Meta, stage: str, *, complete: bool) -> Meta:
    meta: Meta = {"stage": stage}
    for name in FILES:
        counts = last.get(name) or {"done": 0, "total": 0}
        meta[name] = {"done": counts["total"], "total": counts["total"]} if complete else counts
    return meta


def _failure_report(task_id: str, result) -> FailureReport:
    run = runs.run_of_task(task_id)
    if run is not None and run.error_report:
        return FailureReport.from_json(run.error_report)
    return FailureReport(message=f"ingestion task {task_id} failed: {result.result}")
