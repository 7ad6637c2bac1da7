"""The two input files' columns, and matching a sheet's header row against them.

Headers match case- and punctuation-insensitively: "Customer ID", "customer_id" and
"CustomerId" all normalise to "customerid". Columns not listed here are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.services.ingestion.errors import FailureReport, IngestionFailed, Problem

# What a column holds; numbers in a date column are Excel serial dates.
INTEGER, DECIMAL, DATE, TEXT = "integer", "decimal", "date", "text"


@dataclass(frozen=True)
class ColumnSpec:
    key: str  # the staging column (sql/queries/ingestion/create_staging.sql)
    header: str  # the header as the real files spell it (and the generator writes it)
    kind: str  # INTEGER, DECIMAL, DATE or TEXT


@dataclass(frozen=True)
class FileSpec:
    name: str  # "customers" or "loans"
    columns: tuple[ColumnSpec, ...]

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]


CUSTOMERS = FileSpec(
    name="customers",
    columns=(
        ColumnSpec("customer_id", "Customer ID", INTEGER),
        ColumnSpec("first_name", "First Name", TEXT),
        ColumnSpec("last_name", "Last Name", TEXT),
        ColumnSpec("age", "Age", INTEGER),
        ColumnSpec("phone_number", "Phone Number", TEXT),
        ColumnSpec("monthly_salary", "Monthly Salary", DECIMAL),
        ColumnSpec("approved_limit", "Approved Limit", DECIMAL),
    ),
)

LOANS = FileSpec(
    name="loans",
    columns=(
        ColumnSpec("customer_id", "Customer ID", INTEGER),
        ColumnSpec("loan_id", "Loan ID", INTEGER),
        ColumnSpec("loan_amount", "Loan Amount", DECIMAL),
        ColumnSpec("tenure", "Tenure", INTEGER),
        ColumnSpec("interest_rate", "Interest Rate", DECIMAL),
        ColumnSpec("monthly_payment", "Monthly payment", DECIMAL),
        ColumnSpec("emis_paid_on_time", "EMIs paid on Time", INTEGER),
        ColumnSpec("date_of_approval", "Date of Approval", DATE),
        ColumnSpec("end_date", "End Date", DATE),
    ),
)

_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")


def normalize_header(text: object) -> str:
    """Lower case with everything but letters and digits removed."""
    return _NOT_ALPHANUMERIC.sub("", str(text).lower())


def column_letter(index: int) -> str:
    """Excel's name of the 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass(frozen=True)
class HeaderMatch:
    """Where each of the spec's columns sits in the sheet, and how the sheet spells it."""

    positions: tuple[int, ...]  # index into the sheet's row, in spec column order
    labels: dict[str, str]  # column key → 'E "Phone Number"' for reports


def match_headers(
    spec: FileSpec, cells: Sequence[object], *, file_label: str, header_row: int, first_column: int
) -> HeaderMatch:
    """Map the spec's columns onto a header row; a missing or repeated column fails at once."""
    found: dict[str, int] = {}
    repeated: list[Problem] = []
    for index, cell in enumerate(cells):
        normalized = normalize_header(cell) if cell not in (None, "") else ""
        if not normalized:
            continue
        if normalized in found:
            repeated.append(
                Problem(
                    file_label,
                    header_row,
                    _label(first_column + index, cell),
                    str(cell),
                    "this column appears twice in the header row",
                )
            )
            continue
        found[normalized] = index
    missing = [
        Problem(file_label, header_row, column.header, None, "required column is missing")
        for column in spec.columns
        if normalize_header(column.header) not in found
    ]
    wanted = {normalize_header(column.header) for column in spec.columns}
    repeated = [p for p in repeated if normalize_header(p.value) in wanted]
    problems = missing + repeated
    if problems:
        names = ", ".join(p.column for p in problems)
        raise IngestionFailed.from_report(
            FailureReport(
                message=f"{file_label}: header row {header_row} is not usable ({names})",
                total_problems=len(problems),
                problems=problems,
            )
        )
    positions = tuple(found[normalize_header(column.header)] for column in spec.columns)
    labels = {
        column.key: _label(first_column + position, cells[position])
        for column, position in zip(spec.columns, positions, strict=True)
    }
    return HeaderMatch(positions=positions, labels=labels)


def _label(sheet_column: int, header: object) -> str:
    return f'{column_letter(sheet_column)} "{header}"'
