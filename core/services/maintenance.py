"""Operator repairs: recompute customers.current_debt from the loans."""

from __future__ import annotations

import pgtrigger
from django.db import connection, transaction

from core.sqlfiles import read_sql

DEBT_GUARD = "core.Customer:customers_current_debt_guard"


def current_debt_drift() -> int:
    """Number of customers whose current_debt differs from the sum of their active loans."""
    with connection.cursor() as cursor:
        cursor.execute(read_sql("sql/queries/current_debt_drift.sql"))
        return cursor.fetchone()[0]


def recompute_current_debt() -> int:
    """Rewrite every drifted current_debt; returns how many customers were corrected."""
    with transaction.atomic(), pgtrigger.ignore(DEBT_GUARD), connection.cursor() as cursor:
        cursor.execute(read_sql("sql/queries/recompute_current_debt.sql"))
        return cursor.rowcount
