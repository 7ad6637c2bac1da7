"""The SQL steps of a run (pipeline.py takes them in order): stage each file's rows by one COPY
into its TEMP table, rendered as psycopg2 asks for the next block; judge the staged rows
set-based into ingest_problems; load them. Each step is a file of sql/queries/ingestion/;
templates get their {placeholders} from the column definitions."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from psycopg2 import sql

from core.services.ingestion import errors
from core.services.ingestion.columns import FILES, InputFile
from core.services.ingestion.errors import FailureReport, Problem
from core.services.ingestion.progress import ProgressTracker
from core.services.ingestion.read import CopySource, SheetRows
from core.sqlfiles import read_sql

SQL_DIR = "sql/queries/ingestion"


def composed(cursor, name: str, **parts: sql.Composable) -> str:
    """The template sql/queries/ingestion/<name>.sql with its placeholders filled."""
    raw = getattr(cursor, "cursor", cursor)  # psycopg2's own cursor under Django's wrapper
    # Comment lines are left out: they name the placeholders, which are filled only in the SQL.
    lines = read_sql(f"{SQL_DIR}/{name}.sql").splitlines()
    template = sql.SQL("\n".join(line for line in lines if not line.startswith("--")))
    return template.format(**parts).as_string(raw)


def run_sql(cursor, name: str, params: dict | None = None, parts: dict | None = None) -> None:
    """Execute sql/queries/ingestion/<name>.sql (a template: with parts filled in)."""
    text = composed(cursor, name, **parts) if parts else read_sql(f"{SQL_DIR}/{name}.sql")
    cursor.execute(text, params)


# --- stage -------------------------------------------------------------------------------------


def create_staging(cursor) -> None:
    """Each file's TEMP table: row_no, then its staging columns in the reader's field order,
    then for each column <column>_problem, its cell rule, generated as COPY stores the row:
    ingest_<kind>_problem (sql/ingestion_cells_v3.sql) on the cell, with the column's bounds."""

    def columns(file: InputFile) -> sql.Composable:
        staged = [("row_no", "integer NOT NULL"), *file.staging_columns]
        typed = [sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in staged]
        for c in file.columns:
            cells = [sql.Identifier(n) for n in (c.name, c.text_column) if n]
            args = sql.SQL(", ").join(cells + [sql.Literal(b) for b in c.bounds])
            rule = sql.SQL("{}({})").format(sql.Identifier(f"ingest_{c.kind}_problem"), args)
            problem = sql.Identifier(f"{c.name}_problem")
            typed.append(sql.SQL("{} text GENERATED ALWAYS AS ({}) STORED").format(problem, rule))
        return sql.SQL(", ").join(typed)

    run_sql(cursor, "create_staging", parts={f.name: columns(f) for f in FILES})


def copy_rows(cursor, rows: SheetRows, tracker: ProgressTracker) -> None:
    """Stage one file's rows into its table; progress in data rows (blank rows are skipped)."""
    name = rows.file.name
    tracker.set_stage(f"copying {name}")
    statement = composed(cursor, "copy_rows", table=sql.Identifier(f"ingest_{name}"))
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


def check_cells(cursor, file: InputFile) -> None:
    """The problems the cell rules found in one file's staged rows, into ingest_problems."""
    cells, problems = [], []
    for c in file.columns:
        problem, value = sql.Identifier(f"{c.name}_problem"), sql.Identifier(c.name)
        if c.text_column:  # the cell as the file has it: its text, or its value's
            value = sql.SQL("coalesce({}, {}::text)").format(sql.Identifier(c.text_column), value)
        cells.append(sql.SQL("({}, {}, {})").format(sql.Literal(c.name), value, problem))
        problems.append(problem)
    parts = {"table": sql.Identifier(f"ingest_{file.name}"), "file_order": sql.Literal(file.order)}
    parts |= {"cells": sql.SQL(", ").join(cells), "problems": sql.SQL(", ").join(problems)}
    run_sql(cursor, "cell_problems", parts=parts)


def problem_report(cursor, sheets: list[SheetRows]) -> FailureReport | None:
    """The first problems in file order and their total, or None when there is none; files
    and columns named as the sheets spell them ('E "Phone Number"')."""
    params = {
        "limit": errors.MAX_REPORTED_PROBLEMS,
        "value_max_length": errors.MAX_REPORTED_VALUE_CHARS,
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
class IngestionResult:
    """What a run did: the task's result, and ingestion_runs.result."""

    customers_inserted: int
    customers_updated: int
    loans_inserted: int
    loans_updated: int
    ids_remapped: int
    run_id: int = 0
    rows_read: int = 0  # non-empty data rows of both files ...
    customer_rows: int = 0  # ... of the customer file
    loan_rows: int = 0  # ... of the loan file

    @property
    def rows_inserted(self) -> int:
        return self.customers_inserted + self.loans_inserted

    @property
    def rows_updated(self) -> int:
        return self.customers_updated + self.loans_updated

    def as_dict(self) -> dict[str, int]:
        totals = {"rows_inserted": self.rows_inserted, "rows_updated": self.rows_updated}
        return asdict(self) | totals


# The load, under lock_tables.sql (reads and decisions go on, writers wait): set-based statements,
# no DDL (the insert keeps the keys and indexes of loans).


def load_customers(cursor) -> tuple[int, int]:
    """Upsert the staged customers; returns (inserted, updated)."""
    run_sql(cursor, "upsert_customers")
    inserted, written = cursor.fetchone()
    return inserted, written - inserted


def load_loans(cursor, customers: tuple[int, int]) -> IngestionResult:
    """Write the staged loans, then move the loans sequence past their ids."""
    run_sql(cursor, "assign_loan_ids")
    loans_new, ids_remapped = cursor.fetchone()
    run_sql(cursor, "update_loans")
    (loans_updated,) = cursor.fetchone()
    run_sql(cursor, "insert_loans")
    run_sql(cursor, "advance_sequences")
    return IngestionResult(*customers, loans_new, loans_updated, ids_remapped)
