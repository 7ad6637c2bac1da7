"""Helpers of the ingestion tests: the real spreadsheets, crafted variants of them and
workbooks written from rows, and the database state a refused run must leave alone.

Expected values are read from the files with openpyxl, a reader independent of the service's
python-calamine, so the two cross-check each other.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.db import connection

from core.models import Customer, Loan
from core.services.ingestion.errors import IngestionFailed
from core.services.ingestion.pipeline import run_ingestion

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SHARED_DATA_DIR", REPO.parent / "shared" / "data"))
REAL_CUSTOMERS = SHARED / "customer_data.xlsx"
REAL_LOANS = SHARED / "loan_data.xlsx"

# Skipped only outside CI (e.g. the in-Docker run); in CI a missing file fails the tests.
needs_real_files = pytest.mark.skipif(
    not (REAL_CUSTOMERS.is_file() and REAL_LOANS.is_file()) and not os.environ.get("CI"),
    reason=f"the real spreadsheets are not in {SHARED} (set SHARED_DATA_DIR)",
)


# --- helpers (also used by test_ingestion_worker.py) -----------------------------------------


def sheet_rows(path: Path) -> list[list]:
    """Data rows of the first sheet (header dropped, empty rows dropped), via openpyxl."""
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)][1:]
    return [r for r in rows if any(c is not None and str(c).strip() for c in r)]


def variant(source: Path, target: Path, change: Callable[[object], None]) -> Path:
    """A copy of a workbook with change(sheet) applied (openpyxl, full mode)."""
    workbook = openpyxl.load_workbook(source)
    change(workbook.worksheets[0])
    workbook.save(target)
    return target


def sequences() -> dict[str, int | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences "
            "WHERE sequencename IN ('customers_customer_id_seq', 'loans_loan_id_seq')"
        )
        return dict(cursor.fetchall())


def database_state() -> dict:
    """Everything a run may change: both tables, row by row, and both sequences."""
    return {
        "customers": list(Customer.objects.order_by("pk").values_list()),
        "loans": list(Loan.objects.order_by("pk").values_list()),
        "sequences": sequences(),
    }


CUSTOMER_HEADER = [
    "Customer ID",
    "First Name",
    "Last Name",
    "Age",
    "Phone Number",
    "Monthly Salary",
    "Approved Limit",
]
LOAN_HEADER = [
    "Customer ID",
    "Loan ID",
    "Loan Amount",
    "Tenure",
    "Interest Rate",
    "Monthly payment",
    "EMIs paid on Time",
    "Date of Approval",
    "End Date",
]


def workbooks(folder: Path, customers: list[list], loans: list[list]) -> tuple[Path, Path]:
    """A small customer file and loan file with the real files' headers (openpyxl)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, header, rows in (
        ("customers.xlsx", CUSTOMER_HEADER, customers),
        ("loans.xlsx", LOAN_HEADER, loans),
    ):
        workbook = openpyxl.Workbook()
        workbook.active.append(header)
        for row in rows:
            workbook.active.append(row)
        workbook.save(folder / name)
        paths.append(folder / name)
    return paths[0], paths[1]


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day)


def money(value) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.01"))


def ingest(customers: Path = REAL_CUSTOMERS, loans: Path = REAL_LOANS):
    return run_ingestion(customers, loans)


def refused(customers: Path = REAL_CUSTOMERS, loans: Path = REAL_LOANS) -> IngestionFailed:
    with pytest.raises(IngestionFailed) as failure:
        run_ingestion(customers, loans)
    return failure.value


def credit_today() -> dt.date:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credit_today()")
        return cursor.fetchone()[0]


def loans_as_loaded() -> list[tuple]:
    """Every loan but its loan_id (remapped ids follow the sequence, which deletes leave)."""
    fields = [f.attname for f in Loan._meta.concrete_fields if f.name != "loan_id"]
    return list(Loan.objects.order_by("customer_id", "source_loan_id").values_list(*fields))
