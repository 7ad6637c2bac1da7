"""Running the ingestion's SQL files (sql/queries/ingestion/<name>.sql)."""

from __future__ import annotations

from core.sqlfiles import read_sql

SQL_DIR = "sql/queries/ingestion"


def sql_text(name: str) -> str:
    return read_sql(f"{SQL_DIR}/{name}.sql")


def run_sql(cursor, name: str, params: dict | None = None) -> None:
    """Execute sql/queries/ingestion/<name>.sql on cursor."""
    cursor.execute(sql_text(name), params)
