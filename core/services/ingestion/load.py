"""The write phase of a run: customers, then loans, then the identity sequences.

Called inside the run's transaction, after validation found nothing, under the table locks.
A handful of set-based statements write every row; nothing here loops over rows.

A bulk load (settings.INGEST_BULK_MIN_LOANS; bulk_wanted.sql) inserts the new loans with the
keys and indexes of loans dropped and rebuilds them afterwards (drop_loans_keys.sql,
restore_loans_keys.sql): at 1M loans that is about half of the insert's cost. It needs ACCESS
EXCLUSIVE on loans and customers until commit, so reads of them wait for the rest of the run;
when the lock cannot be had within a short wait, the run loads row by row as usual.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, transaction

from core.services.ingestion.queries import run_sql

logger = logging.getLogger(__name__)

# Each try waits at most this long for the readers in progress (under PostgreSQL's default
# deadlock_timeout of 1 s: see bulk_lock.sql).
BULK_LOCK_TIMEOUT = "500ms"
BULK_LOCK_TRIES = 5
# lock_not_available (lock_timeout ran out), deadlock_detected
RETRYABLE_LOCK_ERRORS = {"55P03", "40P01"}


@dataclass(frozen=True)
class LoadCounts:
    customers_inserted: int
    customers_updated: int
    loans_inserted: int
    loans_updated: int
    ids_remapped: int
    bulk_load: bool = False


def load(cursor) -> LoadCounts:
    run_sql(cursor, "upsert_customers")
    customers_inserted, customers_written = cursor.fetchone()
    run_sql(cursor, "assign_loan_ids")
    loans_new, ids_remapped = cursor.fetchone()
    run_sql(cursor, "update_loans")
    (loans_updated,) = cursor.fetchone()
    bulk = _bulk_wanted(cursor, loans_new) and _take_bulk_lock(cursor)
    if bulk:
        run_sql(cursor, "drop_loans_keys")
    run_sql(cursor, "insert_loans")
    if bulk:
        run_sql(cursor, "restore_loans_keys")
    run_sql(cursor, "advance_sequences")
    return LoadCounts(
        customers_inserted=customers_inserted,
        customers_updated=customers_written - customers_inserted,
        loans_inserted=loans_new,
        loans_updated=loans_updated,
        ids_remapped=ids_remapped,
        bulk_load=bulk,
    )


def _bulk_wanted(cursor, new_loans: int) -> bool:
    run_sql(
        cursor,
        "bulk_wanted",
        {"new_loans": new_loans, "min_loans": settings.INGEST_BULK_MIN_LOANS},
    )
    return bool(cursor.fetchone()[0])


def _take_bulk_lock(cursor) -> bool:
    """ACCESS EXCLUSIVE on loans and customers; False when readers kept it from us."""
    for attempt in range(1, BULK_LOCK_TRIES + 1):
        try:
            with transaction.atomic():  # a savepoint: a refused try holds nothing
                run_sql(cursor, "bulk_lock", {"lock_timeout": BULK_LOCK_TIMEOUT})
            return True
        except OperationalError as exc:
            if getattr(exc.__cause__, "pgcode", None) not in RETRYABLE_LOCK_ERRORS:
                raise
            logger.info("bulk load: tables busy (try %s of %s)", attempt, BULK_LOCK_TRIES)
    logger.warning("bulk load: tables stayed busy; loading row by row instead")
    return False
