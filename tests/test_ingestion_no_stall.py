"""A load never stalls the API: while a run holds its locks (rows written, not yet committed),
another session reads customers, loans and the credit views, and the API answers reads and
decisions (recording the decision); writers wait for the run, and then go on without a
deadlock (README, "Ingestion": "A load never stalls the API")."""

from __future__ import annotations

import threading

import psycopg2.errors
import pytest
from django.db import connection

from core.models import Loan, LoanDecision
from core.services.ingestion import steps
from tests.conftest import connect_separately
from tests.ingestion_support import REAL_CUSTOMERS, REAL_LOANS, ingest, needs_real_files, variant

pytestmark = [pytest.mark.django_db(transaction=True), needs_real_files]

READS = [
    "SELECT count(*) FROM customers",
    "SELECT count(*), sum(loan_amount) FROM loans WHERE customer_id = 14",
    "SELECT count(*) FROM customer_credit_features",
    "SELECT count(*) FROM customer_credit_scores",
]


@pytest.fixture
def paused_load(monkeypatch, tmp_path):
    """A second run (one loan amount changed) held after its load phase, before its commit."""
    ingest()
    changed = variant(REAL_LOANS, tmp_path / "l.xlsx", lambda s: s.__setitem__("C2", 950000))
    loaded, go = threading.Event(), threading.Event()
    outcome: list = []
    real_load = steps.load_loans

    def load_then_wait(cursor, customers):
        counts = real_load(cursor, customers)
        loaded.set()
        assert go.wait(timeout=60)
        return counts

    monkeypatch.setattr(steps, "load_loans", load_then_wait)

    def run() -> None:
        try:
            outcome.append(ingest(loans=changed))
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    try:
        assert loaded.wait(timeout=120), "the run never reached its load phase"
        yield
    finally:
        go.set()
        worker.join(timeout=60)
    assert outcome and outcome[0].loans_updated == 1


def test_readers_go_on_while_a_load_holds_its_locks(paused_load, api):
    reader = connect_separately()
    try:
        with reader.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
            for statement in READS:
                cursor.execute(statement)
                assert cursor.fetchone()[0] > 0, statement
            cursor.execute("SELECT sum(loan_amount) FROM loans WHERE customer_id = 14")
            before = cursor.fetchone()[0]  # the committed rows, not the run's
    finally:
        reader.close()
    assert Loan.objects.filter(customer_id=14, source_loan_id=5930).get().loan_amount != 950000
    assert before is not None

    with connection.cursor() as cursor:  # the API's session: a wait would fail, not hang
        cursor.execute("SET lock_timeout = '2s'")
    try:
        assert api.get("/view-loans/14").status_code == 200
        assert api.get("/credit-score/14").status_code == 200
        # Customer 14's row is updated by the run (its current_debt): a decision on it still
        # answers, and its decision row is written.
        decisions = LoanDecision.objects.count()
        body = {"customer_id": 14, "loan_amount": 10000, "interest_rate": 14, "tenure": 12}
        response = api.post("/check-eligibility", body, format="json")
        assert response.status_code == 200, response.content
        assert LoanDecision.objects.count() == decisions + 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


def raise_salary_of_14(sheet) -> None:
    [row] = [r for r in sheet.iter_rows(min_row=2) if r[0].value == 14]
    row[5].value += 1000


def test_writers_wait_for_a_load(paused_load):
    writer = connect_separately()
    try:
        with writer.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
            for table in ("customers", "loans"):  # the lock every INSERT/UPDATE/DELETE takes
                with pytest.raises(psycopg2.errors.LockNotAvailable):
                    cursor.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")
                writer.rollback()
                cursor.execute("SET lock_timeout = '300ms'")
            # A decision row's foreign key locks its customer FOR KEY SHARE: not a writer's lock.
            cursor.execute("SELECT 1 FROM customers WHERE customer_id = 14 FOR KEY SHARE")
            assert cursor.fetchone() == (1,)
    finally:
        writer.rollback()
        writer.close()


def test_a_create_loan_started_before_a_load_finishes_after_it_without_deadlock(
    monkeypatch, api, tmp_path
):
    """create-loan locks the customer, then writes loans; a run locks both tables, then
    updates that customer. Were the create's table lock not taken first, the two would
    deadlock (PostgreSQL would abort one of them)."""
    from core.services import loans

    ingest()
    locked, go = threading.Event(), threading.Event()
    real_lock = loans.lock_customer

    def lock_then_wait(customer_id):
        real_lock(customer_id)
        locked.set()
        assert go.wait(timeout=60)

    monkeypatch.setattr(loans, "lock_customer", lock_then_wait)
    created: list = []

    def create() -> None:
        try:
            body = {"customer_id": 14, "loan_amount": 10000, "interest_rate": 14, "tenure": 12}
            created.append(api.post("/create-loan", body, format="json"))
        finally:
            connection.close()

    creator = threading.Thread(target=create)
    creator.start()
    assert locked.wait(timeout=60)
    outcome: list = []

    def run() -> None:  # a second run that updates customer 14 (its salary)
        try:
            outcome.append(ingest(customers=salary_of_14_changed))
        finally:
            connection.close()

    salary_of_14_changed = variant(REAL_CUSTOMERS, tmp_path / "c.xlsx", raise_salary_of_14)
    runner = threading.Thread(target=run)
    runner.start()
    runner.join(timeout=1)  # the run now waits for the create-loan's write lock
    go.set()
    creator.join(timeout=60)
    runner.join(timeout=120)
    assert created and created[0].status_code == 201, created and created[0].content
    assert outcome and outcome[0].customers_updated == 1
    assert Loan.objects.filter(pk=created[0].json()["loan_id"]).exists()
