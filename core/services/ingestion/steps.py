"""The SQL steps of a run, in the order pipeline.py takes them: stage each file's rows by one
COPY into its TEMP table, validate the staged rows set-based, then load them. Each step is a
file of sql/queries/ingestion/; a few are templates whose {placeholders} are composed from the
column definitions (columns.py) as psycopg2.sql identifiers and literals.

Staging collects nothing in Python: rows are rendered as psycopg2 asks for the next block.
Every rendered row loads, since a cell PostgreSQL could not read as its column's type sits in
the column's text field (read.py); the cell rules then judge every cell. The rules fill the
TEMP table ingest_problems; the run goes on to the load only when it stays empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql

from core.services.ingestion.columns import FILES, LOANS, Column, InputFile
from core.services.ingestion.errors import (
    MAX_REPORTED_PROBLEMS,
    MAX_REPORTED_VALUE_CHARS,
    FailureReport,
    Problem,
)
from core.services.ingestion.progress import ProgressTracker
from core.services.ingestion.read import CopySource, SheetRows
from core.sqlfiles import read_sql

SQL_DIR = "sql/queries/ingestion"


def composed(cursor, name: str, **parts: sql.Composable) -> str:
    """The template sql/queries/ingestion/<name>.sql with its placeholders filled."""
    raw = getattr(cursor, "cursor", cursor)  # psycopg2's own cursor under Django's wrapper
    # Comment lines are left out: they name the placeholders, which are filled only in the SQL.
    text = read_sql(f"{SQL_DIR}/{name}.sql").splitlines()
    return (
        sql.SQL("\n".join(ln for ln in text if not ln.startswith("--")))
        .format(**parts)
        .as_string(raw)
    )


def run_sql(cursor, name: str, params: dict | None = None, parts: dict | None = None) -> None:
    """Execute sql/queries/ingestion/<name>.sql (a template: with parts filled in)."""
    text = composed(cursor, name, **parts) if parts else read_sql(f"{SQL_DIR}/{name}.sql")
    cursor.execute(text, params)


# --- stage -------------------------------------------------------------------------------------


def _columns(file: InputFile, *, types: bool) -> sql.Composable:
    names = [("row_no", "integer NOT NULL"), *file.staging_columns]
    return sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) if types else sql.Identifier(n)
        for n, t in names
    )


def create_staging(cursor) -> None:
    run_sql(cursor, "create_staging", parts={f.name: _columns(f, types=True) for f in FILES})


def copy_rows(cursor, rows: SheetRows, tracker: ProgressTracker) -> None:
    """Stage one file's rows into its table; progress in data rows (blank rows are skipped)."""
    name = rows.file.name
    tracker.set_stage(f"copying {name}")
    statement = composed(
        cursor,
        "copy_rows",
        table=sql.Identifier(rows.file.table),
        columns=_columns(rows.file, types=False),
    )
    source = CopySource(rows.copy_lines(), lambda done: tracker.advance(name, done))
    try:
        # positional block size: Django's debug cursor wrapper takes no keywords
        cursor.copy_expert(statement, source, 1 << 16)
    except Exception:
        if source.error is not None:  # the reader's own error, not the cancelled COPY
            raise source.error from None
        raise
    tracker.file_read(name, source.rows)


# --- validate ----------------------------------------------------------------------------------


def cell_rule(c: Column) -> sql.Composable:
    """The call that judges one cell of the column: ingest_<kind>_problem
    (sql/ingestion_cells_v3.sql) with its bounds."""
    cells = [sql.Identifier(c.name)] + ([sql.Identifier(c.text_column)] if c.text_column else [])
    args = sql.SQL(", ").join(cells + [sql.Literal(b) for b in c.bounds])
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
    rules = (
        sql.SQL("{} AS {}").format(cell_rule(c), p)
        for c, p in zip(file.columns, problems, strict=True)
    )
    parts = {
        "table": sql.Identifier(file.table),
        "file_order": sql.Literal(file.order),
        "rules": sql.SQL(", ").join(rules),
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


def problem_report(cursor, sheets: list[SheetRows]) -> FailureReport | None:
    """The first problems in file order and their total, or None when there is none; files
    and columns named as the sheets spell them ('E "Phone Number"')."""
    params = {
        "limit": MAX_REPORTED_PROBLEMS,
        "value_max_length": MAX_REPORTED_VALUE_CHARS,
        "column_order": [f"{f.order}:{c.name}" for f in FILES for c in f.columns],
    }
    run_sql(cursor, "problem_report", params)
    rows = cursor.fetchall()
    if not rows:
        return None
    total, sheet = rows[0][5], {s.file.order: s for s in sheets}
    problems = [
        Problem(sheet[order].file_label, row_no, sheet[order].header.labels.get(column, column),
                value, reason)
        for order, row_no, column, value, reason, _ in rows
    ]  # fmt: skip
    message = f"ingestion refused: {total} problem{'s' if total != 1 else ''}; nothing changed"
    return FailureReport(message, total, problems)


# --- load --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadCounts:
    customers_inserted: int
    customers_updated: int
    loans_inserted: int
    loans_updated: int
    ids_remapped: int


def load(cursor) -> LoadCounts:
    """Write the validated rows: customers, then loans, then the loans sequence. Called inside
    the run's transaction under the table locks of lock_tables.sql (reads and decisions go on,
    writers wait). A handful of set-based statements write every row, and nothing changes a
    live table's definition (no DDL: the insert keeps the keys and indexes of loans)."""
    run_sql(cursor, "upsert_customers")
    customers_inserted, customers_written = cursor.fetchone()
    run_sql(cursor, "assign_loan_ids")
    loans_new, ids_remapped = cursor.fetchone()
    run_sql(cursor, "update_loans")
    (loans_updated,) = cursor.fetchone()
    run_sql(cursor, "insert_loans")
    run_sql(cursor, "advance_sequences")
    customers_updated = customers_written - customers_inserted
    return LoadCounts(customers_inserted, customers_updated, loans_new, loans_updated, ids_remapped)
