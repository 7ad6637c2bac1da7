"""The write phase of a run: customers, then loans, then the identity sequences.

Called inside the run's transaction, after validation found nothing, under the table locks of
lock_tables.sql (reads and decisions go on, writers wait). A handful of set-based
statements write every row; nothing here loops over rows, and nothing changes a live table's
definition (no DDL: keys and indexes of loans are kept up to date row by row by the insert).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.services.ingestion.queries import run_sql


@dataclass(frozen=True)
class LoadCounts:
    customers_inserted: int
    customers_updated: int
    loans_inserted: int
    loans_updated: int
    ids_remapped: int


def load(cursor) -> LoadCounts:
    run_sql(cursor, "upsert_customers")
    customers_inserted, customers_written = cursor.fetchone()
    run_sql(cursor, "assign_loan_ids")
    loans_new, ids_remapped = cursor.fetchone()
    run_sql(cursor, "update_loans")
    (loans_updated,) = cursor.fetchone()
    run_sql(cursor, "insert_loans")
    run_sql(cursor, "advance_sequences")
    return LoadCounts(
        customers_inserted=customers_inserted,
        customers_updated=customers_written - customers_inserted,
        loans_inserted=loans_new,
        loans_updated=loans_updated,
        ids_remapped=ids_remapped,
    )
