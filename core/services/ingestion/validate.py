"""Set-based validation of the staged rows, in SQL, and the report of what was refused.

Three passes over the staging tables (stage.py) fill the TEMP table ingest_problems: the cell
rules of each file (cell_problems.sql, composed from its column definitions), rules across
rows of the files (file_problems.sql) and, under the table locks, rules against the rows
already in the database (database_problems.sql). The run continues only when it stays empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql

from core.services.ingestion.columns import DATE, FILES, LOANS, NUMBER, Column, InputFile
from core.services.ingestion.errors import (
    MAX_REPORTED_PROBLEMS,
    MAX_REPORTED_VALUE_CHARS,
    FailureReport,
    Problem,
)
from core.services.ingestion.queries import run_sql


@dataclass(frozen=True)
class FileLabels:
    """How reports name a file and its columns: file name and 'E "Phone Number"'."""

    file: str
    columns: dict[str, str]


def cell_rule(c: Column) -> sql.Composable:
    """The call that judges one cell of the column: ingest_number_problem, ingest_date_problem
    or ingest_text_problem (sql/ingestion_cells_v2.sql) with its bounds."""
    if c.kind == NUMBER:
        bounds = (c.decimals, c.low, c.low_exclusive, c.high)
    elif c.kind == DATE:
        bounds = (c.low, c.high)
    else:
        bounds = (c.max_length, c.pattern, c.pattern_reason)
    cells = [sql.Identifier(c.name)] + ([sql.Identifier(c.text_column)] if c.text_column else [])
    args = sql.SQL(", ").join(cells + [sql.Literal(b) for b in bounds])
    return sql.SQL("{}({})").format(sql.Identifier(f"ingest_{c.kind}_problem"), args)


def check_cells(cursor, file: InputFile) -> None:
    """The cell rules of one file, over its staged rows."""
    problems = [sql.Identifier(f"{c.name}_problem") for c in file.columns]
    cells = []
    for column, problem in zip(file.columns, problems, strict=True):
        value = sql.Identifier(column.name)
        if column.text_column:  # the cell as the file has it: its text, or its value's
            value = sql.SQL("coalesce({}, {}::text)").format(
                sql.Identifier(column.text_column), value
            )
        cells.append(sql.SQL("({}, {}, {})").format(sql.Literal(column.name), value, problem))
    parts = {
        "table": sql.Identifier(file.table),
        "file_order": sql.Literal(file.order),
        "rules": sql.SQL(", ").join(
            sql.SQL("{} AS {}").format(cell_rule(c), p)
            for c, p in zip(file.columns, problems, strict=True)
        ),
        "cells": sql.SQL(", ").join(cells),
        "problems": sql.SQL(", ").join(problems),
    }
    run_sql(cursor, "cell_problems", parts=parts)


def check_files(cursor) -> None:
    """Rules across the rows of the files, over the staged rows of both."""
    run_sql(cursor, "file_problems", {"max_tenure": LOANS.column("tenure").high})


def check_against_database(cursor) -> None:
    """Rules against existing customers; call after lock_tables.sql."""
    run_sql(cursor, "database_problems")


def problem_report(cursor, labels: dict[str, FileLabels]) -> FailureReport | None:
    """The first problems in file order and their total, or None when there is none."""
    params = {
        "limit": MAX_REPORTED_PROBLEMS,
        "value_max_length": MAX_REPORTED_VALUE_CHARS,
        "column_order": [f"{f.order}:{c.name}" for f in FILES for c in f.columns],
    }
    run_sql(cursor, "problem_report", params)
    rows = cursor.fetchall()
    if not rows:
        return None
    total, names = rows[0][5], {f.order: f.name for f in FILES}
    problems = []
    for file_order, row_no, column, value, reason, _ in rows:
        where = labels[names[file_order]]
        label = where.columns.get(column, column)
        problems.append(Problem(where.file, row_no, label, value, reason))
    message = f"ingestion refused: {total} problem{'s' if total != 1 else ''}; nothing changed"
    return FailureReport(message, total, problems)
