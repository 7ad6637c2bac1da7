"""manage.py ingest_data: enqueue the spreadsheet ingestion on the Celery broker.

    python manage.py ingest_data [--customers PATH] [--loans PATH] [--wait] [--unless-succeeded]

Prints the task id. --wait draws a progress bar (rows done / total per file) from the task's
state until the run ends; a refused run's report goes to stderr and the exit status is 1.
--unless-succeeded does nothing when a run has already succeeded (docker compose start-up).
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from core.services.ingestion import dispatch, runs
from core.management.progressbar import ProgressBar

DEFAULT_CUSTOMERS = Path(settings.BASE_DIR) / "data" / "customer_data.xlsx"
DEFAULT_LOANS = Path(settings.BASE_DIR) / "data" / "loan_data.xlsx"


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
            "--timeout", type=float, default=None, help="with --wait: give up after SECONDS"
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
            task_id = dispatch.enqueue_ingestion(customers, loans)
        except dispatch.BrokerUnavailable as exc:
            raise CommandError(str(exc)) from exc
        except DatabaseError as exc:
            raise CommandError(f"cannot use the database: {exc}".strip()) from exc
        self.stdout.write(f"queued ingestion task {task_id}")
        self.stdout.flush()
        if options["wait"]:
            self._wait(task_id, options["timeout"])

    @staticmethod
    def _existing(path: str, option: str) -> Path:
        resolved = Path(path).expanduser().resolve()
        if not resolved.is_file():
            raise CommandError(f"{option} {resolved} does not exist")
        return resolved

    def _wait(self, task_id: str, timeout: float | None) -> None:
        bar = ProgressBar(sys.stderr)
        try:
            outcome = dispatch.wait_for_ingestion(task_id, bar.update, timeout=timeout)
        except dispatch.WaitTimedOut as exc:
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
                    f"{result.get('rows_read', 0)} rows read, "
                    f"{result.get('customers_inserted', 0)} customers and "
                    f"{result.get('loans_inserted', 0)} loans inserted, "
                    f"{result.get('rows_updated', 0)} rows updated, "
                    f"{result.get('ids_remapped', 0)} loan ids remapped"
                )
            )
            return
        raise CommandError(outcome.report.describe() if outcome.report else "ingestion failed")
