"""Bounded database waits in the web server process (installed by config/serving.py).

The connection settings (config/settings.py) already bound what the network can make last:
libpq's connect_timeout, TCP keepalives and tcp_user_timeout notice a peer that is gone. A
database that is *there but not answering* (a frozen postmaster and backends, a stalled disk,
a lock wait) is not gone: the kernel keeps acknowledging, so none of those fire. Two bounds
cover it here:

* statement_timeout (DATABASE_STATEMENT_TIMEOUT) on every connection of the web server: the
  server cancels a statement that runs too long (a lock wait, a slow plan);
* a client-side wait (psycopg2's wait callback, "green" mode): no query waits for an answer
  longer than the statement timeout plus DATABASE_CLIENT_GRACE seconds, and no connection
  attempt longer than DATABASE_CONNECT_TIMEOUT. On expiry psycopg2 closes the connection and
  the request fails with OperationalError, which the API answers 503 with Retry-After
  (core/exceptions.py). For the next DATABASE_CONNECT_TIMEOUT seconds the process does not wait
  on the database again (every query or connection attempt fails at once, 503), so requests
  arriving during an outage are answered at once instead of each waiting out its own time-out;
  after that, the next request tries again on a fresh connection, so the service recovers by
  itself once the database answers.

Only the web server runs this: the Celery worker's bulk statements (COPY, which green mode
does not support, and long index builds) are bounded by the ingestion's own settings.
"""

from __future__ import annotations

import select
import threading
import time

import psycopg2
from django.conf import settings
from django.db.backends.signals import connection_created
from psycopg2 import extensions


def _deadline_seconds(conn) -> float:
    if conn.status == extensions.STATUS_SETUP:  # still connecting
        return settings.DATABASE_CONNECT_TIMEOUT
    return settings.DATABASE_STATEMENT_TIMEOUT + settings.DATABASE_CLIENT_GRACE


class _Unanswered:
    """When this process last gave up waiting on the database (monotonic seconds)."""

    lock = threading.Lock()
    until = -float("inf")

    @classmethod
    def note(cls) -> None:
        with cls.lock:
            cls.until = time.monotonic() + settings.DATABASE_CONNECT_TIMEOUT

    @classmethod
    def recently(cls) -> bool:
        return time.monotonic() < cls.until


def bounded_wait(conn) -> None:
    """psycopg2 wait callback: poll the connection until its operation is done, within the
    deadline; raising here makes psycopg2 close the connection."""
    if _Unanswered.recently():
        raise psycopg2.OperationalError("the database did not answer moments ago; not waiting")
    limit = _deadline_seconds(conn)
    deadline = time.monotonic() + limit
    poller = select.poll()
    registered = None
    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            return
        if state == extensions.POLL_READ:
            events = select.POLLIN
        elif state == extensions.POLL_WRITE:
            events = select.POLLOUT
        else:
            raise psycopg2.OperationalError(f"unexpected poll state {state}")
        if registered != events:
            poller.register(conn.fileno(), events)
            registered = events
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            _Unanswered.note()
            raise psycopg2.OperationalError(f"the database did not answer within {limit:g} s")


def _set_statement_timeout(sender, connection, **kwargs) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, false)",
            [f"{int(settings.DATABASE_STATEMENT_TIMEOUT * 1000)}ms"],
        )


def install() -> None:
    extensions.set_wait_callback(bounded_wait)
    connection_created.connect(_set_statement_timeout, dispatch_uid="web-statement-timeout")
