"""The ledger and the spreadsheets: loaded loans answer as before until a payment is recorded,
and re-ingesting never rewrites a loan that has recorded payments."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from rest_framework.test import APIClient

from core.models import Loan, Repayment
from core.services.maintenance import current_debt_drift
from core.services.repayments import make_payment
from tests.ingestion_support import REAL_CUSTOMERS, REAL_LOANS, ingest, needs_real_files, variant

pytestmark = [pytest.mark.django_db(transaction=True), needs_real_files]
TODAY = dt.date(2025, 6, 15)
LOAN_7798_ROW = 447  # Excel row of customer 1's loan 7798 in loan_data.xlsx


@pytest.fixture
def today_pinned():
    """credit_today() pinned for the session (the ingestion commits its own transactions)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('credit.today', %s, false)", [TODAY.isoformat()])
    yield TODAY
    with connection.cursor() as cursor:
        cursor.execute("RESET credit.today")


def calendar_left(customer_id: int) -> dict[int, int]:
    """repayments_left as view-loans computed it before the ledger: tenure − calendar due."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT loan_id, tenure - loan_installments_due(start_date, tenure, credit_today())"
            " FROM loans WHERE customer_id = %s AND is_active",
            [customer_id],
        )
        return dict(cursor.fetchall())


def test_customer_1_loan_7798_answers_as_before(today_pinned):
    ingest()
    api = APIClient()
    rows = api.get("/view-loans/1").json()
    assert {r["loan_id"]: r["repayments_left"] for r in rows} == calendar_left(1)
    loan = next(r for r in rows if r["loan_id"] == 7798)
    # Approved 2021-11-08, 138 installments; by 2025-06-15, 43 have fallen due (Dec 2021 ..
    # Jun 2025): 95 left.
    assert loan == {
        "loan_id": 7798,
        "loan_amount": 900000,
        "interest_rate": 17.92,
        "monthly_installment": 39978,
        "repayments_left": 95,
    }
    statement = api.get("/view-statement/1/7798").json()
    statuses = [line["status"] for line in statement["installments"]]
    # The file says 86 paid on time, more than the 43 due: all 43 shown paid on time.
    assert statuses[:43] == ["paid_on_time"] * 43
    assert statuses[43:45] == ["due", "upcoming"]
    assert statement["repayments_left"] == 95
    assert statement["next_due_date"] == "2025-07-08"


def test_reingestion_never_rewrites_a_loan_with_recorded_payments(today_pinned, tmp_path):
    ingest()
    # The file's monthly payment (39,978) is more than the standard schedule asks (15,4xx):
    # an over-payment, on time, and the EMI is recalculated below the standard one.
    result = make_payment(1, 7798, D("39978"))
    assert (result.installment_number, result.on_time, result.repayments_left) == (44, True, 94)
    assert result.monthly_installment < D("15437")
    before = Loan.objects.filter(pk=7798).values().get()
    assert before["emis_paid_on_time"] == 87  # the file's 86 + this on-time payment
    ledger = list(Repayment.objects.values_list())

    def change(sheet):
        sheet[f"G{LOAN_7798_ROW}"] = 10  # EMIs paid on Time
        sheet[f"F{LOAN_7798_ROW}"] = 41000  # Monthly payment
        sheet[f"C{LOAN_7798_ROW}"] = 950000  # Loan Amount
        sheet["C2"] = 950000  # another loan (5930), without payments

    loans = variant(REAL_LOANS, tmp_path / "loans.xlsx", change)
    outcome = ingest(REAL_CUSTOMERS, loans)

    assert outcome.loans_updated == 1  # loan 5930 only
    assert Loan.objects.filter(pk=7798).values().get() == before
    assert Loan.objects.get(pk=5930).loan_amount == D("950000.00")
    assert list(Repayment.objects.values_list()) == ledger
    assert current_debt_drift() == 0
    assert APIClient().get("/view-loans/1").json()[0]["loan_id"] > 0
