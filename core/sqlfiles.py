"""Access to the SQL files under sql/ and migrations_sql/, where the project's SQL lives.

Migrations, triggers and services read the file they run; the README ("Project layout") lists
the few one-line statements Python still spells out.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@cache
def read_sql(relative_path: str) -> str:
    """Text of a SQL file given relative to the repository root (e.g. "sql/queries/x.sql")."""
    path = (ROOT / relative_path).resolve()
    if ROOT not in path.parents:
        raise ValueError(f"{relative_path!r} is outside the repository")
    return path.read_text(encoding="utf-8")


def run_sql_files(forward: list[str], reverse: list[str]):
    """A migration operation applying SQL files in order, with the files that undo them."""
    from django.db import migrations

    return migrations.RunSQL(
        sql="\n".join(read_sql(name) for name in forward),
        reverse_sql="\n".join(read_sql(name) for name in reverse),
    )
