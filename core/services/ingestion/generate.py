"""Sample workbooks in the real files' format, deterministic from a seed, at any size.

Same sheet name, headers and column order as customer_data.xlsx and loan_data.xlsx, and their
quirks: numbers stored as Excel numbers, interest rates as whole numbers or with two decimals,
"Date of Approval" and "End Date" as Excel dates (format mm-dd-yy), end dates that are the
start date + tenure months (month-end clamped, from the database's loan_end_date), EMIs paid
on time never above the tenure, unique phone numbers, about 3.7 % of Loan IDs repeated for a
second customer (29 of 782 in the real file), and a few empty rows after the data.

Rows are written as they are made (openpyxl write-only mode), loans in batches, so memory does
not grow with the number of rows.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.db import connection
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from core.services.customers import approved_limit_for
from core.services.emi import monthly_installment
from core.services.ingestion.headers import CUSTOMERS, LOANS
from core.services.ingestion.queries import run_sql

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
PHONE_BASE = 9_000_000_000  # ten-digit numbers starting with 9
PHONE_SPAN = 1_000_000_000
FIRST_LOAN_ID = 1_000

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


def generate_sample_files(out_dir: Path, *, customers: int, loans: int, seed: int) -> SampleFiles:
    if customers < 1 or loans < 0:
        raise ValueError("need at least one customer and no negative number of loans")
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)  # noqa: S311 (sample data: reproducible, not secret)
    customers_path = out_dir / CUSTOMERS_FILE
    loans_path = out_dir / LOANS_FILE
    _write_workbook(customers_path, CUSTOMERS.headers, _customer_rows(customers, rng))
    repeated: set[int] = set()
    _write_workbook(loans_path, LOANS.headers, _loan_rows(loans, customers, rng, repeated))
    return SampleFiles(customers_path, loans_path, customers, loans, len(repeated))


def _write_workbook(path: Path, headers: list[str], rows: Iterator[list]) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAME)
    sheet.append(headers)
    for values in rows:
        sheet.append([_date_cell(sheet, v) if isinstance(v, dt.date) else v for v in values])
    # Trailing rows that hold no data: formatted empty cells, then cells of blanks only.
    for _ in range(TRAILING_EMPTY_ROWS - 1):
        sheet.append([_date_cell(sheet, None) for _ in headers])
    sheet.append([" "] * len(headers))
    workbook.save(path)


def _date_cell(sheet, value: dt.date | None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = DATE_FORMAT
    return cell


def _customer_rows(count: int, rng: random.Random) -> Iterator[list]:
    phone_step = _permutation_step(PHONE_SPAN, rng)
    phone_offset = rng.randrange(PHONE_SPAN)
    for customer_id in range(1, count + 1):
        salary = rng.randrange(25, 300) * 1000
        yield [
            customer_id,
            rng.choice(FIRST_NAMES),
            rng.choice(LAST_NAMES),
            rng.randrange(20, 71),
            PHONE_BASE + (phone_step * customer_id + phone_offset) % PHONE_SPAN,
            salary,
            int(approved_limit_for(Decimal(salary))),
        ]


def _loan_rows(
    count: int, customers: int, rng: random.Random, repeated: set[int]
) -> Iterator[list]:
    id_span = max(9_000, 10 * count)
    id_step = _permutation_step(id_span, rng)
    id_offset = rng.randrange(id_span)
    recent: deque[tuple[int, int]] = deque(maxlen=RECENT_LOANS)
    fresh = 0
    for first in range(0, count, BATCH):
        batch = []
        for _ in range(min(BATCH, count - first)):
            customer_id = rng.randrange(1, customers + 1)
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
        run_sql(cursor, "loan_end_dates", {"start_dates": starts, "tenures": tenures})
        return [row[0] for row in cursor.fetchall()]
