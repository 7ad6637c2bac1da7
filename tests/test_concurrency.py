"""Concurrent create-loan requests for one customer against a live server (threads)."""

import json
import threading
import urllib.error
import urllib.request
from decimal import Decimal

import pytest

from core.models import Loan, LoanDecision
from core.services.maintenance import current_debt_drift
from tests.conftest import make_customer

pytestmark = pytest.mark.live

THREADS = 24


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _fire_together(url: str, body: dict) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, dict]] = [None] * THREADS

    def worker(i: int) -> None:
        barrier.wait()
        results[i] = _post(url, body)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_credit_limit_holds_under_concurrent_requests(live_server):
    # The limit allows exactly 5 loans of 100,000; the salary is no constraint, and rate 20
    # passes every slab, so only rule 4 (credit limit) can stop a request.
    customer = make_customer(monthly_salary=Decimal("10000000"), approved_limit=Decimal("500000"))
    body = {"customer_id": customer.pk, "loan_amount": 100000, "interest_rate": 20, "tenure": 12}
    results = _fire_together(f"{live_server.url}/create-loan", body)
    statuses = sorted(status for status, _ in results)
    assert all(status in (200, 201) for status in statuses), statuses
    assert statuses.count(201) == 5
    assert sum(1 for _, b in results if b["loan_approved"]) == 5
    assert Loan.objects.filter(customer=customer).count() == 5
    customer.refresh_from_db()
    assert customer.current_debt == Decimal("500000")
    assert current_debt_drift() == 0
    # Exactly one decision row per request, each the one its answer named, each approved one
    # naming its loan.
    rows = LoanDecision.objects.filter(customer=customer, kind="create")
    assert rows.count() == THREADS
    assert sorted(b["decision_id"] for _, b in results) == sorted(rows.values_list("pk", flat=True))
    assert len(set(rows.values_list("request_id", flat=True))) == THREADS
    assert set(rows.filter(approved=True).values_list("loan_id", flat=True)) == set(
        Loan.objects.filter(customer=customer).values_list("pk", flat=True)
    )
    assert rows.filter(approved=False, loan_id__isnull=True).count() == THREADS - 5


def test_affordability_holds_under_concurrent_requests(live_server):
    # EMI of 100,000 over 10 months at 0 % is 10,000; half the salary is 35,000 → exactly 3.
    customer = make_customer(monthly_salary=Decimal("70000"), approved_limit=Decimal("100000000"))
    body = {"customer_id": customer.pk, "loan_amount": 100000, "interest_rate": 20, "tenure": 10}
    # At 20 % the EMI is 11,556.0x: 3 × that = 34,668 ≤ 35,000 < 4 × that.
    results = _fire_together(f"{live_server.url}/create-loan", body)
    assert all(status in (200, 201) for status, _ in results)
    assert sum(1 for _, b in results if b["loan_approved"]) == 3
    assert Loan.objects.filter(customer=customer).count() == 3
    assert current_debt_drift() == 0
