"""manage.py ingest_data: enqueue the spreadsheet ingestion on the Celery broker.

    python manage.py ingest_data [--customers PATH] [--loans PATH] [--wait] [--unless-succeeded]
                                 [--timeout SECONDS] [--worker-timeout SECONDS]

Prints the task id. --wait draws a progress bar (rows done / total per file) from the task's
state until the run ends; a refused run's report goes to stderr and the exit status is 1; so
does a run no worker takes within --worker-timeout seconds (default 60), or one a worker runs
against another database.
--unless-succeeded (docker compose start-up) does nothing when a run has already succeeded,
and refuses (exit 1, the report on stderr) to enqueue files whose last run was refused while
they have not changed since: a start-up load that cannot succeed says so at every start
instead of being retried forever.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from core.management import ingest_wait
from core.management.progressbar import ProgressBar
from core.services.ingestion import runs
from core.services.ingestion.errors import FailureReport

if TYPE_CHECKING:
    from core.models import IngestionRun

DEFAULT_CUSTOMERS = Path(settings.BASE_DIR) / "data" / "customer_data.xlsx"
DEFAULT_LOANS = Path(settings.BASE_DIR) / "data" / "loan_data.xlsx"
# With --wait: how long a task may wait for a worker before the command says none took it.
DEFAULT_WORKER_TIMEOUT = 60.0
# How many problems of a refused run --unless-succeeded repeats at every start.
PROBLEMS_SHOWN = 10


def refused_again(run: IngestionRun, customers: Path, loans: Path) -> str:
    """Why --unless-succeeded does not enqueue these files again: when their run failed, the
    first problems and what to do."""
    report = FailureReport.from_json(run.error_report or {})
    lines = [
        f"not enqueued: the ingestion of {customers} and {loans} failed at "
        f"{run.finished_at:%Y-%m-%d %H:%M:%S %Z} (ingestion run {run.pk}) and the files have "
        "not changed since, so they would fail again.",
        report.message,
    ]
    shown = report.problems[:PROBLEMS_SHOWN]
    if report.total_problems > len(shown):
        lines.append(f"(the first {len(shown)} of {report.total_problems} problems)")
    lines.extend(f"  {problem.describe()}" for problem in shown)
    lines.append(
        "Fix the files, then load them with: python manage.py ingest_data "
        f"--customers {customers} --loans {loans} --wait "
        f"(the whole report: error_report of ingestion_runs row {run.pk})"
    )
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Enqueue the ingestion of the customer and loan workbooks (Celery task)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers", default=str(DEFAULT_CUSTOMERS), help="customer workbook (.xlsx)"
        )
        parser.add_argument("--loans", default=str(DEFAULT_LOANS), help="loan workbook (.xlsx)")
        parser.add_argument(
            "--wait", action="store_true", help="follow the run to its end; exit 1 if it fails"
        )
        parser.add_argument(
            "--unless-succeeded",
            action="store_true",
            help="do nothing when an ingestion run has already succeeded",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=None,
            help="with --wait: give up after SECONDS (default: wait for the run to end)",
        )
        parser.add_argument(
            "--worker-timeout",
            type=float,
            default=DEFAULT_WORKER_TIMEOUT,
            help=(
                "with --wait: give up when no worker has taken the task after SECONDS "
                f"(default {DEFAULT_WORKER_TIMEOUT:g}; 0: wait as long as --timeout)"
            ),
        )

    def handle(self, *args, **options):
        try:
            if options["unless_succeeded"]:
                done = runs.last_succeeded_run()
                if done is not None:
                    self.stdout.write(
                        f"ingestion already succeeded (run {done.pk}, finished "
                        f"{done.finished_at:%Y-%m-%d %H:%M:%S %Z}); nothing to do"
                    )
                    return
            customers = self._existing(options["customers"], "--customers")
            loans = self._existing(options["loans"], "--loans")
            digest = runs.files_digest(customers, loans)
            if options["unless_succeeded"]:
                refused = runs.refused_run_of(customers, loans, digest)
                if refused is not None:
                    raise CommandError(refused_again(refused, customers, loans))
            task_id = runs.enqueue_ingestion(customers, loans, digest)
        except runs.BrokerUnavailable as exc:
            raise CommandError(str(exc)) from exc
        except DatabaseError as exc:
            raise CommandError(f"cannot use the database: {exc}".strip()) from exc
        except OSError as exc:
            raise CommandError(f"cannot read the files: {exc}") from exc
        self.stdout.write(f"queued ingestion task {task_id}")
        self.stdout.flush()
        if options["wait"]:
            self._wait(task_id, options["timeout"], options["worker_timeout"] or None)

    @staticmethod
    def _existing(path: str, option: str) -> Path:
        resolved = Path(path).expanduser().resolve()
        if not resolved.is_file():
            raise CommandError(f"{option} {resolved} does not exist")
        return resolved

    def _wait(self, task_id: str, timeout: float | None, worker_timeout: float | None) -> None:
        bar = ProgressBar(sys.stderr)
        try:
            outcome = ingest_wait.wait_for_ingestion(
                task_id, bar.update, timeout=timeout, worker_timeout=worker_timeout
            )
        except (ingest_wait.WaitTimedOut, ingest_wait.OtherDatabase) as exc:
            raise CommandError(str(exc)) from exc
        except (RedisError, KombuError, OSError) as exc:
            raise CommandError(f"lost the Celery result backend while waiting: {exc}") from exc
        finally:
            bar.finish()
        if outcome.succeeded:
            result = outcome.result or {}
            self.stdout.write(
                self.style.SUCCESS(
                    f"ingestion succeeded (run {result.get('run_id')}): "
                    f"{result.get('rows_read', 0)} rows read, {_inserted(result)} inserted, "
                    f"{result.get('rows_updated', 0)} rows updated, "
                    f"{result.get('ids_remapped', 0)} loan ids remapped"
                )
            )
            return
        raise CommandError(outcome.report.describe() if outcome.report else "ingestion failed")


def _inserted(result: dict) -> str:
    """What the run inserted: per table from the task's result; in rows when only the run's
    row in ingestion_runs could tell (the result was lost with the broker)."""
    if "customers_inserted" not in result:
        return f"{result.get('rows_inserted', 0)} rows"
    return f"{result['customers_inserted']} customers and {result.get('loans_inserted', 0)} loans"
