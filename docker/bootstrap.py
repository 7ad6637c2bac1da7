"""Start-up steps of the containers, called by docker/entrypoint.sh.

    python docker/bootstrap.py wait-db        retry until PostgreSQL accepts the configured login
    python docker/bootstrap.py wait-broker    retry until Redis answers PING
    python docker/bootstrap.py migrate        apply migrations, one container at a time
    python docker/bootstrap.py wait-migrated  retry until every migration has been applied

Compose's health conditions order the start where they are honoured; these loops make the same
order hold where they are not (podman-compose starts every service at once). Each loop gives up
after WAIT_TIMEOUT seconds (default 120; MIGRATE_WAIT_TIMEOUT, default 600, for
wait-migrated) and exits 1, so the container's restart policy takes over.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import DatabaseError, connection, connections  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

from core.services.health import broker_problem, database_problem  # noqa: E402

# Key of the session-level advisory lock that serialises migrate across web containers.
MIGRATE_LOCK_KEY = 0x6372_6564_6974  # "credit"
RETRY_SECONDS = 2
BROKER_TIMEOUT_SECONDS = 3


def log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(f"{stamp} bootstrap: {message}", file=sys.stderr, flush=True)


def retry(what: str, attempt: Callable[[], str | None], timeout: float) -> None:
    """Call attempt() until it returns None (success); it returns the reason it is not ready."""
    deadline = time.monotonic() + timeout
    last_reason = None
    while True:
        reason = attempt()
        if reason is None:
            log(f"{what}: ready")
            return
        if reason != last_reason:
            log(f"{what}: not ready yet ({reason}); retrying for up to {timeout:.0f}s")
            last_reason = reason
        if time.monotonic() >= deadline:
            log(f"{what}: gave up after {timeout:.0f}s ({reason})")
            sys.exit(1)
        time.sleep(RETRY_SECONDS)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def database_ready() -> str | None:
    return database_problem()  # the probe GET /health uses (core/services/health.py)


def broker_ready() -> str | None:
    return broker_problem(BROKER_TIMEOUT_SECONDS)


def unapplied_migrations() -> str | None:
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return _first_line(exc)
    finally:
        connection.close()  # each attempt reads the recorded migrations afresh
    if plan:
        return f"{len(plan)} migrations not applied yet"
    return None


def migrate() -> None:
    """migrate under an advisory lock, so two web containers never migrate at once."""
    lock = connections.create_connection("default")
    try:
        with lock.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
        log("applying migrations")
        call_command("migrate", interactive=False, verbosity=1)
        with lock.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK_KEY])
    finally:
        lock.close()


def main(argv: list[str]) -> None:
    wait = float(os.environ.get("WAIT_TIMEOUT", "120"))
    steps: dict[str, Callable[[], None]] = {
        "wait-db": lambda: retry("database", database_ready, wait),
        "wait-broker": lambda: retry("broker", broker_ready, wait),
        "wait-migrated": lambda: retry(
            "migrations",
            unapplied_migrations,
            float(os.environ.get("MIGRATE_WAIT_TIMEOUT", "600")),
        ),
        "migrate": migrate,
    }
    if len(argv) != 1 or argv[0] not in steps:
        sys.exit(f"usage: bootstrap.py {{{','.join(steps)}}}")
    steps[argv[0]]()


if __name__ == "__main__":
    main(sys.argv[1:])
