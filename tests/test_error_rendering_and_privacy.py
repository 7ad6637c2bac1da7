"""Every error is rendered one way (the bytes of DRF's JSONRenderer), and a phone number that
is already registered never reaches PostgreSQL's server log."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest
from django.db import connection, transaction
from rest_framework.renderers import JSONRenderer

from core.models import Customer

# --- one rendering for every error --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/nope", 404),  # no route: Django's URL resolver
        ("get", "/view-loan/abc", 404),  # no route either: not an id
        ("get", "/view-loan/999999", 404),  # a route, an unknown id: a DRF view
        ("put", "/register", 405),  # a DRF view
        ("post", "/register", 400),  # a DRF view, invalid body
    ],
)
def test_every_error_is_rendered_alike(api, method, path, status):
    response = getattr(api, method)(path, {}, format="json")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    raw = response.content
    body = json.loads(raw)
    assert list(body)[:3] == ["status", "code", "message"]
    # The same bytes as DRF's renderer gives for the same data: compact, no spaces after , or :
    assert raw == JSONRenderer().render(body)
    assert b", " not in raw and b'": ' not in raw


@pytest.mark.django_db
def test_an_unknown_route_and_an_unknown_id_differ_only_in_the_message(api):
    route = api.get("/nope").content
    unknown = api.get("/view-loan/999999").content
    assert route == b'{"status":404,"code":"not_found","message":"No such route."}'
    assert unknown == b'{"status":404,"code":"not_found","message":"Loan 999999 does not exist."}'


# --- no phone number in the database server's log -----------------------------------------------


def _log_file(cursor) -> str | None:
    """The server's current log file as the server names it: the logging collector's, or
    (Debian, collector off) the file pg_ctlcluster sends the server's stderr to."""
    cursor.execute("SELECT pg_current_logfile()")
    current = cursor.fetchone()[0]
    candidates = [current] if current else []
    cursor.execute("SHOW cluster_name")
    cluster = cursor.fetchone()[0]
    if cluster:
        candidates.append(f"/var/log/postgresql/postgresql-{cluster.replace('/', '-')}.log")
    for path in candidates:
        try:
            with transaction.atomic(), connection.cursor() as probe:  # a savepoint
                probe.execute("SELECT size FROM pg_stat_file(%s)", [path])
            return path
        except Exception:
            continue
    return None


def _log_size(path: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT size FROM pg_stat_file(%s)", [path])
        return cursor.fetchone()[0]


def _log_since(path: str, offset: int, marker: str) -> str:
    """The log from offset on, once the marker has been written (the collector may lag)."""
    deadline = time.monotonic() + 10
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_read_file(%s, %s, %s)", [path, offset, _log_size(path) - offset]
            )
            text = cursor.fetchone()[0]
        if marker in text or time.monotonic() > deadline:
            return text
        time.sleep(0.2)


@pytest.mark.django_db
def test_a_duplicate_registration_leaves_no_phone_number_in_the_server_log(api):
    with connection.cursor() as cursor:
        path = _log_file(cursor)
    if path is None:
        pytest.skip(
            "the PostgreSQL server log cannot be read (no pg_current_logfile, no Debian log)"
        )
    phone = f"77{uuid.uuid4().int % 10**10:010d}"
    body = {
        "first_name": "Private",
        "last_name": "Person",
        "age": 40,
        "monthly_income": 50000,
        "phone_number": phone,
    }
    offset = _log_size(path)

    assert api.post("/register", body, format="json").status_code == 201
    duplicate = api.post("/register", body, format="json")
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "phone_number_taken"
    marker = f"log-check-{uuid.uuid4()}"
    with connection.cursor() as cursor:
        cursor.execute(f"DO $$ BEGIN RAISE LOG '{marker}'; END $$")  # the log is this one

    text = _log_since(path, offset, marker)
    assert marker in text, f"the marker never reached {path}"
    assert phone not in text
    assert Customer.objects.filter(phone_number=phone).count() == 1


@pytest.mark.live
def test_concurrent_registrations_of_one_phone_give_one_customer(live_server):
    phone = f"78{uuid.uuid4().int % 10**10:010d}"
    body = json.dumps(
        {
            "first_name": "Twin",
            "last_name": "Request",
            "age": 33,
            "monthly_income": 70000,
            "phone_number": phone,
        }
    ).encode()
    threads = 8
    barrier = threading.Barrier(threads)
    statuses: list[int] = []

    def register() -> None:
        request = urllib.request.Request(
            f"{live_server.url}/register", data=body, headers={"Content-Type": "application/json"}
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    workers = [threading.Thread(target=register) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert sorted(statuses) == [201] + [409] * (threads - 1)
    assert Customer.objects.filter(phone_number=phone).count() == 1
