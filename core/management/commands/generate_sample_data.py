"""manage.py generate_sample_data: write sample customer and loan workbooks.

    python manage.py generate_sample_data --customers 300 --loans 800 --seed 20240601 --out data

The files have the real files' format and quirks and are the same for the same seed; their ids
and phone numbers never collide with the real files' (core/services/sample_data.py).
End dates come from the database's loan_end_date(), so the database must be reachable. A
progress bar (rows written / total per file) is drawn on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from core.management.progressbar import ProgressBar
from core.services.sample_data import SAMPLE_SEED, generate_sample_files


class Command(BaseCommand):
    help = "Write customer_data.xlsx and loan_data.xlsx with generated sample data."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=300, help="number of customers")
        parser.add_argument("--loans", type=int, default=800, help="number of loans")
        parser.add_argument(
            "--seed",
            type=int,
            default=SAMPLE_SEED,
            help=f"same seed, same data (default {SAMPLE_SEED}: the files in data/)",
        )
        parser.add_argument(
            "--out", default=str(Path(settings.BASE_DIR) / "data"), help="output directory"
        )

    def handle(self, *args, customers: int, loans: int, seed: int, out: str, **options):
        bar = ProgressBar(sys.stderr)
        try:
            files = generate_sample_files(
                Path(out).expanduser().resolve(),
                customers=customers,
                loans=loans,
                seed=seed,
                on_progress=bar.update,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except DatabaseError as exc:
            raise CommandError(f"the database is unreachable (end dates need it): {exc}") from exc
        finally:
            bar.finish()
        self.stdout.write(
            self.style.SUCCESS(
                f"wrote {files.customers} ({files.customer_rows} customers) and {files.loans} "
                f"({files.loan_rows} loans, {files.repeated_loan_ids} Loan IDs repeated)"
            )
        )
