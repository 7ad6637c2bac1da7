"""Sample workbooks in the real files' format, deterministic from a seed, at any size.

Same sheet name, headers and column order as customer_data.xlsx and loan_data.xlsx, and their
quirks: numbers stored as Excel numbers, interest rates as whole numbers or with two decimals,
"Date of Approval" and "End Date" as Excel dates (format mm-dd-yy), end dates that are the
start date + tenure months (month-end clamped, from the database's loan_end_date), EMIs paid
on time never above the tenure, unique phone numbers, about 3.7 % of Loan IDs repeated for a
second customer (29 of 782 in the real file), and a few empty rows after the data. Only the
ids and phone numbers are kept apart from the real files' on purpose (FIRST_CUSTOMER_ID below).

Rows are written as they are made (openpyxl write-only mode), loans in batches, so memory does
not grow with the number of rows.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.db import connection
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from core.models import MAX_FILE_ID
from core.services.customers import approved_limit_for
from core.services.emi import monthly_installment
from core.services.ingestion.columns import CUSTOMERS, LOANS
from core.services.ingestion.progress import Meta
from core.sqlfiles import read_sql

CUSTOMERS_FILE = "customer_data.xlsx"
LOANS_FILE = "loan_data.xlsx"
SHEET_NAME = "Sheet1"
DATE_FORMAT = "mm-dd-yy"  # Excel's built-in date format 14, as in the real files
REPEATED_LOAN_ID_SHARE = 29 / 782
TRAILING_EMPTY_ROWS = 3
BATCH = 10_000
RECENT_LOANS = 1_000  # a repeated Loan ID is taken from one of this many recent rows
FIRST_START_DATE = dt.date(2010, 1, 1)
START_DATE_SPAN_DAYS = 5_000  # start dates from 2010 to 2023, as in the real file
# Sample data never collides with the assignment's real files (Customer IDs 1-300, Loan IDs
# 1003-9996, ten-digit phones 91xxxxxxxx-99xxxxxxxx), so both can be loaded into one database in
# either order: sample customers are numbered from 100,001, sample Loan IDs from 1,000,000
# (10,000,000 wide at 1M loans: far inside MAX_FILE_ID), and sample phones have 12 digits,
# "91" then ten digits (a country code and a national number), which no ten-digit number equals.
FIRST_CUSTOMER_ID = 100_001
FIRST_LOAN_ID = 1_000_000
PHONE_BASE = 910_000_000_000
PHONE_SPAN = 10_000_000_000
# The seed of the committed data/*.xlsx (300 customers, 800 loans).
SAMPLE_SEED = 20240601
# The generator reports its progress every this many rows.
PROGRESS_EVERY = 5_000

FIRST_NAMES = (
    "Aarav", "Aaron", "Abbey", "Aditi", "Aisha", "Alan", "Amara", "Ananya", "Arjun", "Beatriz",
    "Carlos", "Chen", "Dana", "Deepak", "Elena", "Farah", "Gabriel", "Hana", "Ishaan", "Jamal",
    "Kavya", "Leon", "Maya", "Meera", "Nikhil", "Nora", "Omar", "Priya", "Rahul", "Rosa",
    "Sana", "Tariq", "Uma", "Vikram", "Wei", "Yusuf", "Zara",
)  # fmt: skip
LAST_NAMES = (
    "Agarwal", "Banerjee", "Chopra", "Das", "Fernandez", "Garcia", "Gonzalez", "Gupta", "Iyer",
    "Joshi", "Khan", "Kumar", "Lopez", "Mehta", "Menon", "Nair", "Patel", "Rao", "Reddy",
    "Rodrigues", "Saavedra", "Shah", "Singh", "Toledo", "Verma", "Wang",
)  # fmt: skip


@dataclass(frozen=True)
class SampleFiles:
    customers: Path
    loans: Path
    customer_rows: int
    loan_rows: int
    repeated_loan_ids: int


def _permutation_step(span: int, rng: random.Random) -> int:
    """A multiplier coprime with span: i → (step * i + offset) mod span is then a permutation."""
    step = rng.randrange(span // 3, span) | 1
    while math.gcd(step, span) != 1:
        step += 2
    return step


def _id_span(loans: int) -> int:
    """How wide the range of fresh sample Loan IDs is (ten times the loans: sparse, like the
    real file's)."""
    return max(9_000, 10 * loans)


def generate_sample_files(
    out_dir: Path,
    *,
    customers: int,
    loans: int,
    seed: int,
    on_progress: Callable[[Meta], None] | None = None,
) -> SampleFiles:
    """Write both workbooks; on_progress gets rows written / total per file (the progress
    meta of progress.py) every PROGRESS_EVERY rows and at each change of stage."""
    if customers < 1 or loans < 0:
        raise ValueError("need at least one customer and no negative number of loans")
    if FIRST_CUSTOMER_ID + customers - 1 > MAX_FILE_ID:
        raise ValueError(f"too many customers: ids must stay at most {MAX_FILE_ID}")
    if FIRST_LOAN_ID + _id_span(loans) - 1 > MAX_FILE_ID:
        raise ValueError(f"too many loans: Loan IDs must stay at most {MAX_FILE_ID}")
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)  # noqa: S311 (sample data: reproducible, not secret)
    customers_path = out_dir / CUSTOMERS_FILE
    loans_path = out_dir / LOANS_FILE
    progress = _Progress(on_progress, customers=customers, loans=loans)
    _write_workbook(
        customers_path,
        [c.header for c in CUSTOMERS.columns],
        _customer_rows(customers, rng),
        progress,
        "customers",
    )
    repeated: set[int] = set()
    _write_workbook(
        loans_path,
        [c.header for c in LOANS.columns],
        _loan_rows(loans, customers, rng, repeated),
        progress,
        "loans",
    )
    progress.stage("written")
    return SampleFiles(customers_path, loans_path, customers, loans, len(repeated))


class _Progress:
    def __init__(self, publish: Callable[[Meta], None] | None, **totals: int) -> None:
        self._publish = publish
        self._stage = "starting"
        self._done = dict.fromkeys(totals, 0)
        self._totals = totals

    def stage(self, stage: str) -> None:
        self._stage = stage
        self._emit()

    def advance(self, name: str, done: int) -> None:
        self._done[name] = done
        self._emit()

    def _emit(self) -> None:
        if self._publish is not None:
            meta: Meta = {"stage": self._stage}
            for name, total in self._totals.items():
                meta[name] = {"done": self._done[name], "total": total}
            self._publish(meta)


def _write_workbook(
    path: Path, headers: list[str], rows: Iterator[list], progress: _Progress, name: str
) -> None:
    progress.stage(f"writing {path.name}")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAME)
    sheet.append(headers)
    written = 0
    for values in rows:
        sheet.append([_date_cell(sheet, v) if isinstance(v, dt.date) else v for v in values])
        written += 1
        if written % PROGRESS_EVERY == 0:
            progress.advance(name, written)
    progress.advance(name, written)
    # Trailing rows that hold no data: formatted empty cells, then cells of blanks only.
    for _ in range(TRAILING_EMPTY_ROWS - 1):
        sheet.append([_date_cell(sheet, None) for _ in headers])
    sheet.append([" "] * len(headers))
    progress.stage(f"saving {path.name}")
    workbook.save(path)


def _date_cell(sheet, value: dt.date | None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = DATE_FORMAT
    return cell


def _customer_rows(count: int, rng: random.Random) -> Iterator[list]:
    phone_step = _permutation_step(PHONE_SPAN, rng)
    phone_offset = rng.randrange(PHONE_SPAN)
    for number in range(count):
        salary = rng.randrange(25, 300) * 1000
        yield [
            FIRST_CUSTOMER_ID + number,
            rng.choice(FIRST_NAMES),
            rng.choice(LAST_NAMES),
            rng.randrange(20, 71),
            PHONE_BASE + (phone_step * number + phone_offset) % PHONE_SPAN,
            salary,
            int(approved_limit_for(Decimal(salary))),
        ]


def _loan_rows(
    count: int, customers: int, rng: random.Random, repeated: set[int]
) -> Iterator[list]:
    id_span = _id_span(count)
    id_step = _permutation_step(id_span, rng)
    id_offset = rng.randrange(id_span)
    recent: deque[tuple[int, int]] = deque(maxlen=RECENT_LOANS)
    fresh = 0
    for first in range(0, count, BATCH):
        batch = []
        for _ in range(min(BATCH, count - first)):
            customer_id = FIRST_CUSTOMER_ID + rng.randrange(customers)
            loan_id = None
            if customers > 1 and recent and rng.random() < REPEATED_LOAN_ID_SHARE:
                other_id, other_customer = recent[rng.randrange(len(recent))]
                if other_customer != customer_id and other_id not in repeated:
                    loan_id = other_id
                    repeated.add(loan_id)
            if loan_id is None:
                loan_id = FIRST_LOAN_ID + (id_step * fresh + id_offset) % id_span
                fresh += 1
            recent.append((loan_id, customer_id))
            batch.append(_loan_values(customer_id, loan_id, rng))
        end_dates = _end_dates([row[7] for row in batch], [row[3] for row in batch])
        for row, end_date in zip(batch, end_dates, strict=True):
            row.append(end_date)
            yield row


def _loan_values(customer_id: int, loan_id: int, rng: random.Random) -> list:
    amount = rng.randrange(1, 11) * 100_000
    tenure = rng.randrange(3, 181)
    if rng.random() < 0.02:
        rate: int | Decimal = rng.randrange(8, 19)
        rate_text = str(rate)
    else:
        cents = rng.randrange(801, 1801)
        rate_text = f"{cents // 100}.{cents % 100:02d}"
        rate = Decimal(rate_text)  # openpyxl writes it as an Excel number, as in the real file
    emi = monthly_installment(Decimal(amount), Decimal(rate_text), tenure)
    start = FIRST_START_DATE + dt.timedelta(days=rng.randrange(START_DATE_SPAN_DAYS))
    return [
        customer_id,
        loan_id,
        amount,
        tenure,
        rate,
        int(emi.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        rng.randrange(0, tenure + 1),
        start,
    ]


def _end_dates(starts: list[dt.date], tenures: list[int]) -> list[dt.date]:
    """start + tenure months for each pair, by the database's loan_end_date (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            read_sql("sql/queries/loan_end_dates.sql"), {"start_dates": starts, "tenures": tenures}
        )
        return [row[0] for row in cursor.fetchall()]
