"""Set-based validation of the staged rows, in SQL, and the report of what was refused.

Three passes over the typed staging tables (stage.py) fill the TEMP table ingest_problems: cell
rules (cell_problems.sql), rules across rows of the files (file_problems.sql) and, under the
table locks, rules against the rows already in the database (database_problems.sql). The run
continues only when it stays empty.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.models import (
    MAX_AGE,
    MAX_FILE_ID,
    MAX_MONEY,
    MAX_RATE,
    MAX_TENURE_MONTHS,
    MIN_AGE,
    MIN_RATE,
    NAME_MAX_LENGTH,
    PHONE_PATTERN,
)
from core.services.ingestion.errors import (
    MAX_REPORTED_PROBLEMS,
    MAX_REPORTED_VALUE_CHARS,
    FailureReport,
    Problem,
)
from core.services.ingestion.queries import run_sql

FILE_ORDER = {1: "customers", 2: "loans"}
# Dates a loan may carry (Date of Approval, End Date): anything outside is a typo or a
# placeholder (9999-12-31 would load as a loan active for ever), refused by cell_problems.sql.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)


@dataclass(frozen=True)
class FileLabels:
    """How reports name a file and its columns: file name and 'E "Phone Number"'."""

    file: str
    columns: dict[str, str]


def _rule_parameters() -> dict[str, object]:
    return {
        "name_max_length": NAME_MAX_LENGTH,
        "min_age": MIN_AGE,
        "max_age": MAX_AGE,
        "min_rate": MIN_RATE,
        "max_rate": MAX_RATE,
        "phone_pattern": PHONE_PATTERN,
        "max_money": MAX_MONEY,
        "max_tenure": MAX_TENURE_MONTHS,
        "max_file_id": MAX_FILE_ID,
        "earliest_date": EARLIEST_DATE,
        "latest_date": LATEST_DATE,
    }


def check_files(cursor) -> None:
    """Cell rules and in-file rules, over the staged rows of both files."""
    params = _rule_parameters()
    run_sql(cursor, "cell_problems", params)
    run_sql(cursor, "file_problems", params)


def check_against_database(cursor) -> None:
    """Rules against existing customers; call after lock_tables.sql."""
    run_sql(cursor, "database_problems")


def problem_report(cursor, labels: dict[str, FileLabels]) -> FailureReport | None:
    """The first problems in file order and their total, or None when there is none."""
    run_sql(
        cursor,
        "problem_report",
        {"limit": MAX_REPORTED_PROBLEMS, "value_max_length": MAX_REPORTED_VALUE_CHARS},
    )
    rows = cursor.fetchall()
    if not rows:
        return None
    total = rows[0][5]
    problems = []
    for file_order, row_no, column_key, value, reason, _ in rows:
        file_labels = labels[FILE_ORDER[file_order]]
        problems.append(
            Problem(
                file=file_labels.file,
                row=row_no,
                column=file_labels.columns.get(column_key, column_key),
                value=value,
                reason=reason,
            )
        )
    return FailureReport(
        message=f"ingestion refused: {total} problem{'s' if total != 1 else ''}; nothing changed",
        total_problems=total,
        problems=problems,
    )
