"""The two input files, each defined once: each column's header and aliases, kind, bounds and
staging column, from which the reader (read.py), the staging tables, their COPY and the cell
rules (steps.py) derive; and header matching: case- and punctuation-insensitive ("Customer
ID", "customer_id", "CustomerId"), aliases accepted, unlisted columns ignored."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core import models
from core.services.ingestion.errors import FailureReport, IngestionFailed, Problem

# What a column holds, and the staging column's type: a whole number, a number with decimals
# (exact), a date (numbers in a date column are Excel serial dates), text.
INTEGER, NUMBER, DATE, TEXT = "integer", "number", "date", "text"
SQL_TYPES = {INTEGER: "bigint", NUMBER: "numeric", DATE: "date", TEXT: "text"}
# Dates a loan may carry: outside is a typo or a placeholder (9999-12-31: active for ever).
EARLIEST_DATE, LATEST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


@dataclass(frozen=True)
class Column:
    name: str  # the staging column, and the key of the cell's problems
    header: str  # as the real files spell it (and the generator writes it)
    kind: str  # INTEGER, NUMBER, DATE or TEXT
    aliases: tuple[str, ...] = ()  # other headers accepted for the column
    low: int | Decimal | dt.date | None = None  # the smallest value allowed (None: no bound)
    high: int | Decimal | dt.date | None = None  # the largest
    low_exclusive: bool = False  # NUMBER: the value must be above low, not equal to it
    decimals: int = 0  # NUMBER: the most decimals a value may have
    max_length: int | None = None  # TEXT: the most characters
    pattern: str | None = None  # TEXT: a regular expression the cell must match ...
    pattern_reason: str | None = None  # ... or be refused with this reason

    @property
    def text_column(self) -> str | None:
        """All but TEXT columns: the staging column that keeps a cell's text when it is not of
        the column's kind, so that the rules can quote it (TEXT columns keep the text itself)."""
        return None if self.kind == TEXT else f"{self.name}_text"

    @property
    def bounds(self) -> tuple:
        """What the column's cell rule (sql/ingestion_cells_v3.sql) takes after the cell."""
        if self.kind == NUMBER:
            return self.decimals, self.low, self.low_exclusive, self.high
        if self.kind == TEXT:
            return self.max_length, self.pattern, self.pattern_reason
        if self.kind == DATE:
            return self.low, self.high, f"must be between {self.low} and {self.high}"
        return self.low, self.high


@dataclass(frozen=True)
class InputFile:
    name: str  # "customers" or "loans"
    order: int  # reports list the customer file's problems first
    columns: tuple[Column, ...]

    @property
    def staged(self) -> tuple[Column, ...]:
        """The columns in the order of a staging row's fields: the whole numbers first (the
        reader formats them together), then the others in file order."""
        return tuple(sorted(self.columns, key=lambda column: column.kind != INTEGER))

    @property
    def staging_columns(self) -> list[tuple[str, str]]:
        """(name, SQL type) of the staging table's columns after row_no, in the order of the
        reader's COPY fields: the staged columns, then their text columns."""
        texts = [(c.text_column, "text") for c in self.staged if c.text_column]
        return [(c.name, SQL_TYPES[c.kind]) for c in self.staged] + texts


def _file_id(name: str, header: str) -> Column:
    """A customer or loan number of a file: 1 to MAX_FILE_ID (the service's own ids start past
    it: migrations_sql/0007_service_ids.up.sql)."""
    return Column(name, header, INTEGER, low=1, high=models.MAX_FILE_ID)


def _money(name: str, header: str, *aliases: str, positive: bool = True) -> Column:
    """An amount of rupees, numeric(14,2): at most 2 decimals, above 0 (or at least 0)."""
    return Column(name, header, NUMBER, aliases, 0, models.MAX_MONEY, positive, decimals=2)


def _date(name: str, header: str, *aliases: str) -> Column:
    return Column(name, header, DATE, aliases, EARLIEST_DATE, LATEST_DATE)


# Each rule mirrors a constraint of customers or loans (core/models.py), so rows that pass load
# without a constraint error. Rules across cells and rows: sql/queries/ingestion/file_problems.sql.
CUSTOMERS = InputFile(
    name="customers",
    order=1,
    columns=(
        _file_id("customer_id", "Customer ID"),
        Column("first_name", "First Name", TEXT, max_length=models.NAME_MAX_LENGTH),
        Column("last_name", "Last Name", TEXT, max_length=models.NAME_MAX_LENGTH),
        Column("age", "Age", INTEGER, low=models.MIN_AGE, high=models.MAX_AGE),
        Column(
            "phone_number",
            "Phone Number",
            TEXT,
            ("Phone", "Mobile Number"),
            pattern=models.PHONE_PATTERN,
            pattern_reason="not a phone number (10 to 15 digits, the first not 0)",
        ),
        _money("monthly_salary", "Monthly Salary", "Salary", "Monthly Income"),
        _money("approved_limit", "Approved Limit", "Credit Limit", positive=False),
    ),
)

LOANS = InputFile(
    name="loans",
    order=2,
    columns=(
        _file_id("customer_id", "Customer ID"),
        _file_id("source_loan_id", "Loan ID"),
        _money("loan_amount", "Loan Amount"),
        Column("tenure", "Tenure", INTEGER, ("Tenure Months",), 1, models.MAX_TENURE_MONTHS),
        Column(
            "interest_rate", "Interest Rate", NUMBER, (), models.MIN_RATE, models.MAX_RATE, False, 2
        ),
        _money("monthly_payment", "Monthly payment", "Monthly Installment", "EMI"),
        # at most the tenure: file_problems.sql
        Column("emis_paid_on_time", "EMIs paid on Time", INTEGER, low=0),
        _date("start_date", "Date of Approval", "Approval Date", "Start Date"),
        _date("end_date", "End Date"),
    ),
)

FILES = (CUSTOMERS, LOANS)

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
    """Where each of the file's columns sits in the sheet, and how the sheet spells it."""

    positions: dict[str, int]  # column name → index into the sheet's row
    labels: dict[str, str]  # column name → 'E "Phone Number"' for reports


def match_headers(
    file: InputFile, cells: Sequence[object], file_label: str, header_row: int, first_column: int
) -> HeaderMatch:
    """Map the file's columns onto a header row. A missing column, or one found twice (under
    the same header or two of its names), fails at once."""

    def label(index: int) -> str:
        return f'{column_letter(first_column + index)} "{cells[index]}"'

    found: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        if cell not in (None, ""):
            found.setdefault(normalize_header(cell), []).append(index)
    problems, positions = [], {}
    for column in file.columns:
        names = {normalize_header(h) for h in (column.header, *column.aliases)}
        indexes = sorted(i for name in names for i in found.get(name, []))
        if not indexes:
            reason = "required column is missing"
            problems.append(Problem(file_label, header_row, column.header, None, reason))
            continue
        positions[column.name] = indexes[0]
        reason = "this column appears twice in the header row"
        problems += [
            Problem(file_label, header_row, label(i), str(cells[i]), reason) for i in indexes[1:]
        ]
    if problems:
        listed = ", ".join(p.column for p in problems)
        message = f"{file_label}: header row {header_row} is not usable ({listed})"
        raise IngestionFailed(FailureReport(message, len(problems), problems))
    return HeaderMatch(positions, {name: label(p) for name, p in positions.items()})
