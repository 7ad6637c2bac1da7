"""Idempotency-Key on the POSTs that change state: replay, refusal of a reused key, what is
stored, scope, expiry, and concurrent retries against a live server."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.db.models.functions import Now
from django.utils import timezone

from core.models import Customer, IdempotencyKey, Loan, LoanDecision, Repayment
from core.services import api_keys, idempotency
from core.services.errors import RequestInProgress
from core.sqlfiles import read_sql
from tests.conftest import connect_separately, make_customer

pytestmark = pytest.mark.django_db

REGISTER = {
    "first_name": "Asha",
    "last_name": "Rao",
    "age": 30,
    "monthly_income": 62500,
    "phone_number": 9876543210,
}


def loan_body(customer: Customer, amount=100000) -> dict:
    return {"customer_id": customer.pk, "loan_amount": amount, "interest_rate": 14, "tenure": 12}


def post(api, path: str, body, key: str | None = None, **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    data = body if isinstance(body, str) else json.dumps(body)
    return api.post(path, data=data, content_type="application/json", **headers)


def test_a_retry_with_the_same_key_replays_the_first_answer_byte_for_byte(api):
    customer = make_customer()
    first = post(api, "/create-loan", loan_body(customer), key="order-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    retry = post(api, "/create-loan", loan_body(customer), key="order-1")
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.content == first.content
    assert retry.headers["Content-Type"] == first.headers["Content-Type"]
    assert Loan.objects.filter(customer=customer).count() == 1
    row = IdempotencyKey.objects.get()
    assert (row.scope, row.key, row.method, row.path) == (
        "shared",
        "order-1",
        "POST",
        "/create-loan",
    )
    assert bytes(row.response_body) == first.content


def test_a_declined_decision_is_replayed_too(api):
    customer = make_customer(approved_limit=Decimal("50000"))
    first = post(api, "/create-loan", loan_body(customer), key="declined-1")
    assert first.status_code == 200 and first.json()["loan_approved"] is False
    retry = post(api, "/create-loan", loan_body(customer), key="declined-1")
    assert retry.status_code == 200 and retry.content == first.content
    assert retry.headers["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_amount_is_refused_and_changes_nothing(api):
    customer = make_customer()
    first = post(api, "/create-loan", loan_body(customer, 100000), key="order-2")
    assert first.status_code == 201
    other = post(api, "/create-loan", loan_body(customer, 200000), key="order-2")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert "Idempotent-Replayed" not in other.headers
    assert Loan.objects.filter(customer=customer).count() == 1
    customer.refresh_from_db()
    assert customer.current_debt == Decimal("100000")


def test_the_same_key_on_another_path_is_refused(api):
    customer = make_customer()
    assert post(api, "/create-loan", loan_body(customer), key="k").status_code == 201
    response = post(api, "/register", REGISTER, key="k")
    assert response.status_code == 422
    assert not Customer.objects.filter(phone_number=str(REGISTER["phone_number"])).exists()


def test_the_fingerprint_covers_method_path_and_body_value():
    body = {"customer_id": 1, "loan_amount": Decimal("100000.0"), "tenure": 12}
    fingerprint = idempotency.request_fingerprint("POST", "/create-loan", body)
    assert fingerprint == idempotency.request_fingerprint(
        "post", "/create-loan", {"tenure": 12, "loan_amount": 100000, "customer_id": 1}
    )
    assert fingerprint != idempotency.request_fingerprint("POST", "/register", body)
    assert fingerprint != idempotency.request_fingerprint("PUT", "/create-loan", body)
    assert fingerprint != idempotency.request_fingerprint(
        "POST", "/create-loan", {**body, "loan_amount": Decimal("100000.01")}
    )
    assert idempotency.request_fingerprint("POST", "/create-loan", {"x": 1}) != (
        idempotency.request_fingerprint(
            "POST", "/create-loan", {"x": Decimal("1.0000000000000000000000000000001")}
        )
    )
    assert idempotency.canonical_json([Decimal("12.50"), 1250, Decimal("-1.25e1")]) == (
        "[125E-1,125E1,-125E-1]"
    )
    assert idempotency.canonical_json({"b": [True, None, "é"], "a": Decimal("-0.0")}) == (
        '{"a":0,"b":[true,null,"\\u00e9"]}'
    )


def test_without_a_key_two_identical_requests_make_two_loans(api):
    customer = make_customer()
    assert post(api, "/create-loan", loan_body(customer)).status_code == 201
    assert post(api, "/create-loan", loan_body(customer)).status_code == 201
    assert Loan.objects.filter(customer=customer).count() == 2
    assert not IdempotencyKey.objects.exists()


def test_a_replayed_register_is_not_a_conflict_with_its_own_phone(api):
    first = post(api, "/register", REGISTER, key="signup-1")
    assert first.status_code == 201
    retry = post(api, "/register", REGISTER, key="signup-1")
    assert retry.status_code == 201
    assert retry.content == first.content
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert Customer.objects.filter(phone_number=str(REGISTER["phone_number"])).count() == 1
    # Another key for the same phone is a new registration: the phone is taken.
    assert post(api, "/register", REGISTER, key="signup-2").status_code == 409


def test_the_body_is_compared_as_canonical_json(api):
    customer = make_customer()
    body = loan_body(customer)
    first = post(api, "/create-loan", body, key="canon")
    # Other key order, whitespace, number spellings of the same values, and a trailing slash.
    text = (
        f'{{ "tenure": 12, "interest_rate": 14.00, "loan_amount": 1e5,\n'
        f'  "customer_id": {customer.pk} }}'
    )
    retry = post(api, "/create-loan/", text, key="canon")
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.content == first.content


def test_failed_requests_store_nothing_and_a_corrected_retry_reuses_the_key(api):
    customer = make_customer()
    invalid = post(api, "/create-loan", {**loan_body(customer), "tenure": 0}, key="fix-me")
    assert invalid.status_code == 400
    unknown = post(
        api, "/create-loan", {**loan_body(customer), "customer_id": 999999}, key="fix-me"
    )
    assert unknown.status_code == 404
    malformed = post(api, "/create-loan", "{not json", key="fix-me")
    assert malformed.status_code == 400
    assert not IdempotencyKey.objects.exists()
    corrected = post(api, "/create-loan", loan_body(customer), key="fix-me")
    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected.headers
    assert IdempotencyKey.objects.count() == 1


def test_a_taken_phone_stores_nothing(api):
    assert post(api, "/register", REGISTER).status_code == 201
    assert post(api, "/register", REGISTER, key="dup").status_code == 409
    assert not IdempotencyKey.objects.exists()


def test_the_key_and_the_effect_commit_together(api, monkeypatch):
    """When the key cannot be stored, the loan made in the same transaction is undone."""
    customer = make_customer()

    real_store = idempotency.store

    def store_then_lose_the_connection(*args, **kwargs):
        real_store(*args, **kwargs)
        raise OperationalError("connection lost before COMMIT")

    monkeypatch.setattr(idempotency, "store", store_then_lose_the_connection)
    response = post(api, "/create-loan", loan_body(customer), key="atomic")
    assert response.status_code == 503
    assert not Loan.objects.filter(customer=customer).exists()
    assert not IdempotencyKey.objects.exists()
    customer.refresh_from_db()
    assert customer.current_debt == 0


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve", "tab\there"])
def test_a_malformed_key_is_refused(api, key):
    customer = make_customer()
    response = post(api, "/create-loan", loan_body(customer), key=key)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert not Loan.objects.exists()


@pytest.mark.parametrize("depth", [500, 900])
def test_a_deeply_nested_body_with_a_key_is_refused_as_malformed(api, depth):
    body = "[" * depth + "]" * depth
    response = post(api, "/create-loan", body, key="deep")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed"


def test_the_longest_key_is_accepted(api):
    customer = make_customer()
    key = "~" * 255
    assert post(api, "/create-loan", loan_body(customer), key=key).status_code == 201
    assert post(api, "/create-loan", loan_body(customer), key=key).headers["Idempotent-Replayed"]


def test_idempotency_required_refuses_state_changes_without_a_key(api, settings):
    settings.IDEMPOTENCY_REQUIRED = True
    customer = make_customer()
    for path, body in (("/create-loan", loan_body(customer)), ("/register", REGISTER)):
        response = post(api, path, body)
        assert response.status_code == 400
        assert response.json()["code"] == "idempotency_key_required"
    assert not Loan.objects.exists()
    # Reads and the decision-only check are unaffected.
    assert post(api, "/check-eligibility", loan_body(customer)).status_code == 200
    assert post(api, "/create-loan", loan_body(customer), key="present").status_code == 201


def test_keys_are_scoped_to_the_api_key(api, settings):
    settings.API_KEY_REQUIRED = True
    customer = make_customer()
    _, alice = api_keys.create_key("alice")
    _, bob = api_keys.create_key("bob")
    as_alice = {"HTTP_AUTHORIZATION": f"Api-Key {alice}"}
    as_bob = {"HTTP_AUTHORIZATION": f"Api-Key {bob}"}
    first = post(api, "/create-loan", loan_body(customer), key="same", **as_alice)
    again = post(api, "/create-loan", loan_body(customer), key="same", **as_alice)
    other = post(api, "/create-loan", loan_body(customer), key="same", **as_bob)
    assert first.status_code == again.status_code == other.status_code == 201
    assert again.content == first.content
    assert other.json()["loan_id"] != first.json()["loan_id"]
    assert Loan.objects.filter(customer=customer).count() == 2
    scopes = set(IdempotencyKey.objects.values_list("scope", flat=True))
    assert scopes == {f"api-key:{alice.partition('.')[0]}", f"api-key:{bob.partition('.')[0]}"}


def test_a_key_held_by_a_running_request_answers_409_with_retry_after(api):
    customer = make_customer()
    other = connect_separately()
    try:
        with other.cursor() as cursor:  # another session's request holds the key
            cursor.execute(read_sql(idempotency.CLAIM_SQL), {"scope": "shared", "key": "busy"})
            assert cursor.fetchone()[0] is True
        response = post(api, "/create-loan", loan_body(customer), key="busy")
        assert response.status_code == 409
        assert response.json()["code"] == "request_in_progress"
        assert response["Retry-After"] == "1"
        assert not Loan.objects.exists()
        # Another key is not held.
        assert post(api, "/create-loan", loan_body(customer), key="free").status_code == 201
    finally:
        other.rollback()
        other.close()
    assert post(api, "/create-loan", loan_body(customer), key="busy").status_code == 201


def test_a_key_stored_by_another_request_meanwhile_is_refused_at_insert():
    """The backstop of the one-statement claim: the unique constraint turns a second insert of
    one key into RequestInProgress, so the second effect rolls back."""
    from django.db import transaction

    with transaction.atomic():
        claimed = idempotency.claim(
            scope="shared", key="race", method="POST", path="/create-loan", body={}
        )
        assert claimed.replay is None
        other = connect_separately()
        try:
            with other.cursor() as cursor:  # committed after this request looked
                cursor.execute(
                    read_sql(idempotency.STORE_SQL),
                    {
                        "scope": "shared", "key": "race", "fingerprint": claimed.fingerprint,
                        "method": "POST", "path": "/create-loan", "status": 201,
                        "content_type": "application/json", "body": b"{}", "ttl_seconds": 60,
                    },
                )  # fmt: skip
            other.commit()
        finally:
            other.close()
        try:
            with pytest.raises(RequestInProgress):
                idempotency.store(claimed, idempotency.Answer(201, "application/json", b"{}"))
            transaction.set_rollback(True)
        finally:
            other = connect_separately()  # the other session's row outlives the test transaction
            with other.cursor() as cursor:
                cursor.execute("DELETE FROM idempotency_keys WHERE key = 'race'")
            other.commit()
            other.close()


def _expire(key: str) -> None:
    past = timezone.now() - timezone.timedelta(days=3)
    IdempotencyKey.objects.filter(key=key).update(
        created_at=past, expires_at=past + timezone.timedelta(days=1)
    )


def test_an_expired_key_is_forgotten(api, settings):
    customer = make_customer()
    first = post(api, "/create-loan", loan_body(customer), key="old")
    row = IdempotencyKey.objects.get(key="old")
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s - now()", [row.expires_at])
        ttl = cursor.fetchone()[0]
    assert abs(ttl.total_seconds() - settings.IDEMPOTENCY_TTL) < 60
    assert settings.IDEMPOTENCY_TTL == 24 * 3600
    _expire("old")
    again = post(api, "/create-loan", loan_body(customer, 200000), key="old")
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert again.json()["loan_id"] != first.json()["loan_id"]
    assert IdempotencyKey.objects.filter(key="old").count() == 1


def test_the_daily_purge_deletes_expired_keys_only(api, settings):
    customer = make_customer()
    for key in ("expired-1", "expired-2", "live"):
        post(api, "/create-loan", loan_body(customer), key=key)
    _expire("expired-1")
    _expire("expired-2")
    assert idempotency.purge_expired() == 2
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["live"]
    schedule = settings.CELERY_BEAT_SCHEDULE["purge-expired-idempotency-keys"]
    assert schedule["task"] == "core.tasks.purge_expired_idempotency_keys"
    from core import tasks

    _expire("live")
    assert tasks.purge_expired_idempotency_keys.apply().get() == 1


def test_the_table_guards_its_rows():
    """Named constraints refuse a malformed key, a non-2xx answer and an expiry in the past."""
    from django.db import IntegrityError, transaction

    good = {
        "scope": "shared",
        "key": "k",
        "fingerprint": "0" * 64,
        "method": "POST",
        "path": "/create-loan",
        "response_status": 201,
        "response_content_type": "application/json",
        "response_body": b"{}",
        "expires_at": timezone.now() + timezone.timedelta(hours=1),
    }
    for change, constraint in (
        ({"key": "has space"}, "idempotency_keys_key_format"),
        ({"fingerprint": "xyz"}, "idempotency_keys_fingerprint_sha256"),
        ({"response_status": 500}, "idempotency_keys_response_status_2xx"),
        (
            {"expires_at": timezone.now() - timezone.timedelta(hours=1)},
            "idempotency_keys_expires_after_created",
        ),
    ):
        with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
            IdempotencyKey.objects.create(**{**good, **change})
    IdempotencyKey.objects.create(**good)
    with (
        pytest.raises(IntegrityError, match="idempotency_keys_scope_key_unique"),
        transaction.atomic(),
    ):
        IdempotencyKey.objects.create(**good)
    assert IdempotencyKey.objects.filter(created_at__lte=Now()).count() == 1


# --- against a live server ----------------------------------------------------------------------

CONCURRENT = 50


def _http_post(url: str, body: dict, key: str) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_make_one_loan(live_server):
    customer = make_customer()
    body = loan_body(customer)
    barrier = threading.Barrier(CONCURRENT)
    results: list = [None] * CONCURRENT

    def worker(i: int) -> None:
        barrier.wait()
        results[i] = _http_post(f"{live_server.url}/create-loan", body, "one-key-for-all")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    loans = list(Loan.objects.filter(customer=customer).values_list("loan_id", flat=True))
    assert len(loans) == 1
    statuses = sorted(status for status, _, _ in results)
    assert set(statuses) <= {201, 409}, statuses
    created = [content for status, content, _ in results if status == 201]
    assert created and all(json.loads(c)["loan_id"] == loans[0] for c in created)
    assert len(set(created)) == 1  # replays are the first answer, byte for byte
    for status, content, headers in results:
        if status == 409:
            assert json.loads(content)["code"] == "request_in_progress"
            assert headers["Retry-After"] == "1"
    assert sum(1 for s, _, h in results if s == 201 and "Idempotent-Replayed" not in h) == 1
    assert IdempotencyKey.objects.count() == 1
    # One decision row too: a request that lost the race rolled its row back with it.
    assert (
        list(LoanDecision.objects.filter(customer_id=customer.pk).values_list("loan_id", flat=True))
        == loans
    )
    customer.refresh_from_db()
    assert customer.current_debt == Decimal("100000")


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_retry_after_the_client_dropped_the_connection_gets_the_original_loan(live_server):
    customer = make_customer()
    body = json.dumps(loan_body(customer)).encode()
    address = urllib.parse.urlsplit(live_server.url)
    raw = socket.create_connection((address.hostname, address.port), timeout=10)
    raw.sendall(
        b"POST /create-loan HTTP/1.1\r\n"
        + f"Host: {address.hostname}\r\n".encode()
        + b"Content-Type: application/json\r\nIdempotency-Key: dropped-1\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    raw.close()  # the client gives up before reading any answer

    deadline = time.monotonic() + 30
    while not IdempotencyKey.objects.filter(key="dropped-1").exists():  # the server carries on
        assert time.monotonic() < deadline, "the dropped request never committed"
        time.sleep(0.05)
    while True:  # the first request may still be running: 409 until it commits
        status, content, headers = _http_post(
            f"{live_server.url}/create-loan", loan_body(customer), "dropped-1"
        )
        if status != 409 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status == 201, content
    loan_ids = list(Loan.objects.filter(customer=customer).values_list("loan_id", flat=True))
    assert len(loan_ids) == 1
    assert json.loads(content)["loan_id"] == loan_ids[0]
    assert headers["Idempotent-Replayed"] == "true"


def test_a_replayed_payment_never_settles_a_second_installment(api):
    customer = make_customer()
    made = post(api, "/create-loan", loan_body(customer)).json()
    path = f"/make-payment/{customer.pk}/{made['loan_id']}"
    payment = {"amount": made["monthly_installment"]}
    first = post(api, path, payment, key="emi-1")
    assert first.status_code == 201 and first.json()["installment_number"] == 1
    for _ in range(2):
        retry = post(api, path, payment, key="emi-1")
        assert retry.status_code == 201 and retry.content == first.content
        assert retry.headers["Idempotent-Replayed"] == "true"
    assert Repayment.objects.filter(loan_id=made["loan_id"]).count() == 1
    other = post(api, path, {"amount": made["monthly_installment"] + 1}, key="emi-1")
    assert other.status_code == 422
    # A new key is a new payment: the next installment.
    second = post(api, path, payment, key="emi-2")
    assert second.status_code == 201 and second.json()["installment_number"] == 2
    assert Repayment.objects.filter(loan_id=made["loan_id"]).count() == 2
