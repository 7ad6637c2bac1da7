"""One statement on the default connection, its row (fetch_one) or rows (fetch_all) back,
prepared once per connection: for the statements a hot request path sends on every request
(check-eligibility's scoring read and decision insert, the reads by id of view-loan,
view-loans, credit-score and view-decision). Their texts are fixed: each distinct text is
prepared and kept for the life of every session that ran it, so these functions are not for
SQL built per call.

Two costs are cut (bench/RESULTS.md, section 2):

* PostgreSQL parses and plans a statement's text every time it is sent; check-eligibility's
  scoring read joins two views, and planning it cost more than running it. These functions send
  `PREPARE` once per connection and then only `EXECUTE name(values)`: the statement is parsed
  once, and PostgreSQL keeps or re-makes its plan (custom or generic, re-planned by itself after
  DDL on what it reads). Prepared statements belong to the session, so they need a connection
  that stays one PostgreSQL session (Django's persistent connections, as here; not a pooler in
  transaction mode): DATABASE_PREPARED_STATEMENTS=false turns them off. A statement the session
  no longer holds (`DISCARD ALL`, a pooler) is prepared again and run once more when it ran
  outside a transaction; inside one the error is raised, as any database error.
* Django's cursor wrapper costs about a third of such a call's client CPU (a wrapper per
  cursor, a wrapped method per attribute read, the context managers around each). They do
  what that wrapper does for one execute and its fetch, in one place: the same checks
  before the statement (connection opened if needed, thread sharing, no broken transaction),
  the same error translation (psycopg2's errors become django.db's, and the connection is
  marked as having seen one, so Django closes it when the request ends if it is unusable), and
  a cursor made as Django makes it (time zone aware datetimes).

When queries are being logged (DEBUG, CaptureQueriesContext, assertNumQueries) or an execute
wrapper is installed, the statement's own text goes through Django's cursor, so every observer
still sees it as the code wrote it.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg2 import errors as pg_errors

# psycopg2's placeholders: %(name)s, %s, and %% for a literal %.
_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s|%s")
# psycopg2 connection → the names of the statements prepared in its session.
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_T = TypeVar("_T")


@dataclass(frozen=True)
class Prepared:
    """A statement as PostgreSQL prepares it: its text with $1, $2, … for the placeholders."""

    name: str
    text: str
    keys: tuple[str, ...] | None  # a mapping's keys in $ order; None: a sequence, in order
    execute: str  # EXECUTE name(%s, …)

    @property
    def prepare(self) -> str:
        return f"PREPARE {self.name} AS {self.text}"

    def values(self, params: Sequence | Mapping) -> Sequence:
        if self.keys is None:
            return params  # type: ignore[return-value]
        return [params[key] for key in self.keys]  # type: ignore[call-overload]


@cache
def prepared(sql: str) -> Prepared:
    """The prepared form of sql (one statement with psycopg2 placeholders, all named or all
    positional); its name is derived from its text, so every process gives it the same."""
    keys: list[str | None] = []

    def number(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%"
        keys.append(match.group(1))
        return f"${len(keys)}"

    text = _PLACEHOLDER.sub(number, sql).strip().rstrip(";")
    named = tuple(key for key in keys if key is not None)
    if named and len(named) != len(keys):
        raise ValueError("a statement's placeholders must be all named or all positional")
    name = "credit_" + hashlib.sha256(text.encode()).hexdigest()[:16]
    arguments = f"({', '.join(['%s'] * len(keys))})" if keys else ""
    return Prepared(name, text, named or None, f"EXECUTE {name}{arguments}")


def fetch_one(sql: str, params: Sequence | Mapping, *, before: str = "") -> tuple | None:
    """cursor.execute(before + sql, params) then cursor.fetchone(), on the default connection.
    `before`: statements without parameters sent in the same query string (so with sql in one
    implicit transaction outside a transaction block), such as a SET LOCAL."""
    return _run(sql, params, before, lambda cursor: cursor.fetchone())


def fetch_all(sql: str, params: Sequence | Mapping) -> list[tuple]:
    """cursor.execute(sql, params) then cursor.fetchall(), on the default connection."""
    return _run(sql, params, "", lambda cursor: cursor.fetchall())


def _run(sql: str, params: Sequence | Mapping, before: str, fetch: Callable[[Any], _T]) -> _T:
    db = connections[DEFAULT_DB_ALIAS]
    if db.queries_logged or db.execute_wrappers:
        with db.cursor() as cursor:
            cursor.execute(before + sql, params)
            return fetch(cursor)
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        cursor = db.create_cursor()
        try:
            if not settings.DATABASE_PREPARED_STATEMENTS:
                cursor.execute(before + sql, params)
            else:
                _execute_prepared(db, cursor, prepared(sql), params, before)
            return fetch(cursor)
        finally:
            cursor.close()


def _execute_prepared(db, cursor, statement: Prepared, params, before: str) -> None:
    names = _PREPARED.setdefault(db.connection, set())

    def run() -> None:
        if statement.name not in names:
            cursor.execute(statement.prepare)
            names.add(statement.name)
        cursor.execute(before + statement.execute, statement.values(params))

    try:
        run()
    except pg_errors.InvalidSqlStatementName:
        names.clear()  # the session lost its statements
        if db.in_atomic_block:
            raise
        run()  # prepared again
