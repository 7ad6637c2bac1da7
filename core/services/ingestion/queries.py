"""Running the ingestion's SQL files (sql/queries/ingestion/<name>.sql).

A few of them are templates: the parts that depend on a file's columns ({name} placeholders)
are composed from the column definitions (columns.py) as psycopg2.sql identifiers and literals.
"""

from __future__ import annotations

from psycopg2 import sql

from core.sqlfiles import read_sql

SQL_DIR = "sql/queries/ingestion"


def sql_text(name: str) -> str:
    return read_sql(f"{SQL_DIR}/{name}.sql")


def composed(cursor, name: str, **parts: sql.Composable) -> str:
    """The template sql/queries/ingestion/<name>.sql with its placeholders filled."""
    raw = getattr(cursor, "cursor", cursor)  # psycopg2's own cursor under Django's wrapper
    # Comment lines are left out: they name the placeholders, which are filled only in the SQL.
    lines = [line for line in sql_text(name).splitlines() if not line.startswith("--")]
    return sql.SQL("\n".join(lines)).format(**parts).as_string(raw)


def run_sql(cursor, name: str, params: dict | None = None, parts: dict | None = None) -> None:
    """Execute sql/queries/ingestion/<name>.sql on cursor (a template: with parts filled in)."""
    cursor.execute(composed(cursor, name, **parts) if parts else sql_text(name), params)
