"""Concurrent writes for one customer: create-loan and make-payment requests against a live
server (threads), and loan inserts from two database sessions at once."""

import datetime as dt
import json
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal

import pytest
from django.db import connection

from core.models import Loan, LoanDecision, Repayment
from core.services.emi import amortization_schedule, monthly_installment
from core.services.maintenance import current_debt_drift
from tests.conftest import connect_separately, make_customer, make_loan

pytestmark = pytest.mark.live

THREADS = 24
START = dt.date(2025, 1, 15)


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


@pytest.mark.django_db(transaction=True)
def test_loans_inserted_by_two_transactions_at_once_both_count_in_current_debt():
    # Both transactions insert a loan of one customer before either commits. The second one's
    # trigger waits for the first one's lock on the customer row; a trigger that recomputed
    # the sum from its own snapshot would then lose the first loan. Adding deltas does not.
    customer = make_customer()
    make_loan(customer, start=START, loan_amount=Decimal("500"))
    first, second = connect_separately(), connect_separately()
    insert = (
        "INSERT INTO loans (customer_id, loan_amount, interest_rate, tenure,"
        " monthly_installment, emis_paid_on_time, start_date, end_date, is_active)"
        " VALUES (%s, 1000, 10, 12, 87.92, 0, '2025-01-15', '2026-01-15', true)"
    )
    failures: list[BaseException] = []

    def insert_and_commit() -> None:
        try:
            with second.cursor() as cursor:
                cursor.execute(insert, [customer.pk])
            second.commit()
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    try:
        with first.cursor() as cursor:
            cursor.execute(insert, [customer.pk])  # holds the customer row until commit
        thread = threading.Thread(target=insert_and_commit)
        thread.start()
        _wait_until_blocked(second.get_backend_pid())
        first.commit()
        thread.join(timeout=30)
        assert not thread.is_alive() and not failures, failures
    finally:
        first.close()
        second.close()

    customer.refresh_from_db()
    assert Loan.objects.filter(customer=customer).count() == 3
    assert customer.current_debt == Decimal("2500")
    assert current_debt_drift() == 0


def _wait_until_blocked(pid: int) -> None:
    """Wait until session pid waits for a lock (the second insert's trigger, on the row)."""
    watcher = connect_separately()
    try:
        with watcher.cursor() as cursor:
            for _ in range(300):
                cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone()[0] == "Lock":
                    return
                time.sleep(0.05)
        raise AssertionError("the second insert never waited for the first one's lock")
    finally:
        watcher.close()


PAYMENTS = 20


def test_parallel_payments_settle_each_installment_once(live_server):
    # 24 monthly installments of a loan made today; 20 payments of one EMI at once, each on
    # time (paid today, before every due date). They queue on the customer's row lock.
    customer = make_customer()
    with connection.cursor() as cursor:
        cursor.execute("SELECT credit_today()")
        (today,) = cursor.fetchone()
    emi = monthly_installment(Decimal("240000"), Decimal("12"), 24)
    loan = make_loan(
        customer,
        start=today,
        tenure=24,
        loan_amount=Decimal("240000"),
        interest_rate=Decimal("12"),
        monthly_installment=emi,
    )
    url = f"{live_server.url}/make-payment/{customer.pk}/{loan.pk}"
    barrier = threading.Barrier(PAYMENTS)
    results: list[tuple[int, dict]] = [None] * PAYMENTS

    def worker(i: int) -> None:
        barrier.wait()
        results[i] = _post(url, {"amount": float(emi)})

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(PAYMENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(status for status, _ in results) == [201] * PAYMENTS, results
    assert sorted(body["installment_number"] for _, body in results) == list(range(1, 21))
    rows = list(Repayment.objects.filter(loan=loan).order_by("installment_number"))
    assert [r.installment_number for r in rows] == list(range(1, 21))
    expected = amortization_schedule(loan.loan_amount, loan.interest_rate, emi, 1, 24)[:20]
    assert [r.balance_after for r in rows] == [i.balance_after for i in expected]
    by_number = {body["installment_number"]: body for _, body in results}
    assert [Decimal(str(by_number[n]["balance"])) for n in range(1, 21)] == [
        i.balance_after for i in expected
    ]
    loan.refresh_from_db()
    assert (loan.emis_paid_on_time, loan.monthly_installment, loan.is_active) == (20, emi, True)
    assert current_debt_drift() == 0
