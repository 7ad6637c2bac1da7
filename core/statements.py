"""One statement, one row back, on the default connection: for the statements a hot request
path sends once per request (check-eligibility's scoring read and decision insert).

Django's cursor wrapper costs about a third of such a call's client CPU (a wrapper per
cursor, a wrapped method per attribute read, the context managers around each). fetch_one does
what that wrapper does for one execute and one fetchone, in one place: the same checks before
the statement (connection opened if needed, thread sharing, no broken transaction), the same
error translation (psycopg2's errors become django.db's, and the connection is marked as having
seen one, so Django closes it when the request ends if it is unusable), and a cursor made as
Django makes it (time zone aware datetimes). When queries are being logged (DEBUG,
CaptureQueriesContext, assertNumQueries) or an execute wrapper is installed, the statement
goes through Django's own cursor, so every observer still sees it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import DEFAULT_DB_ALIAS, connections


def fetch_one(sql: str, params: Sequence | Mapping) -> tuple | None:
    """cursor.execute(sql, params) then cursor.fetchone(), on the default connection."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.queries_logged or db.execute_wrappers:
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        cursor = db.create_cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchone()
        finally:
            cursor.close()
