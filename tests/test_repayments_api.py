"""POST /make-payment and GET /view-statement: every rule and error path, with today pinned."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from core.models import Customer, Repayment
from core.services.emi import amortization_schedule, monthly_installment
from tests.conftest import make_customer, make_loan
from tests.test_api import assert_error

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 31)  # month-end: due dates Feb 28, Mar 31, Apr 30, ...
AMOUNT, RATE, TENURE = D("100000"), D("12"), 12
EMI = D("8884.88")


def api_loan(customer=None, **fields):
    """A loan as create-loan makes it: source_loan_id null, EMI by the formula."""
    customer = customer or make_customer()
    values = {
        "start": START,
        "tenure": TENURE,
        "loan_amount": AMOUNT,
        "interest_rate": RATE,
        "monthly_installment": monthly_installment(
            fields.get("loan_amount", AMOUNT),
            fields.get("interest_rate", RATE),
            fields.get("tenure", TENURE),
        ),
    }
    values.update(fields)
    return make_loan(customer, **values)


def pay(api, loan, amount, paid_on=None, customer_id=None):
    body = {"amount": amount}
    if paid_on is not None:
        body["paid_on"] = paid_on.isoformat()
    return api.post(
        f"/make-payment/{customer_id or loan.customer_id}/{loan.pk}", body, format="json"
    )


def statement(api, loan):
    response = api.get(f"/view-statement/{loan.customer_id}/{loan.pk}")
    assert response.status_code == 200, response.content
    return response.json()


# --- make-payment ------------------------------------------------------------------------------


def test_on_time_payment_settles_the_first_installment(api, pin_today):
    pin_today(dt.date(2025, 2, 20))
    loan = api_loan()
    response = pay(api, loan, 8884.88)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["repayment_id"] > 0
    assert {k: v for k, v in body.items() if k != "repayment_id"} == {
        "customer_id": loan.customer_id,
        "loan_id": loan.pk,
        "paid_on": "2025-02-20",  # default: today
        "amount": 8884.88,
        "installment_number": 1,
        "on_time": True,
        "interest": 1000.0,
        "principal": 7884.88,
        "balance": 92115.12,
        "monthly_installment": 8884.88,
        "repayments_left": 11,
        "loan_closed": False,
    }
    loan.refresh_from_db()
    assert (loan.emis_paid_on_time, loan.monthly_installment, loan.is_active) == (1, EMI, True)
    row = Repayment.objects.get()
    assert (row.installment_due, row.emi_before, row.emi_after, row.request_id) == (
        EMI,
        EMI,
        EMI,
        response["X-Request-ID"],
    )


def test_payment_after_the_due_date_is_late(api, pin_today):
    pin_today(dt.date(2025, 3, 10))
    loan = api_loan()
    body = pay(api, loan, 8884.88, paid_on=dt.date(2025, 3, 1)).json()  # due Feb 28
    assert (body["installment_number"], body["on_time"]) == (1, False)
    loan.refresh_from_db()
    assert loan.emis_paid_on_time == 0


def test_payment_on_the_due_date_is_on_time(api, pin_today):
    pin_today(dt.date(2025, 3, 10))
    loan = api_loan()
    assert pay(api, loan, 8884.88, paid_on=dt.date(2025, 2, 28)).json()["on_time"] is True


def test_under_payment_is_late_and_raises_the_emi_everyone_sees(api, pin_today):
    pin_today(dt.date(2025, 2, 10))
    customer = make_customer(monthly_salary=D("20000"))
    loan = api_loan(customer)
    body = pay(api, loan, 5000).json()
    # 5,000 − 1,000.00 interest = 4,000.00; 96,000.00 over 11 at 12 % → 9,259.59.
    assert (body["on_time"], body["balance"], body["monthly_installment"]) == (
        False,
        96000.0,
        9259.59,
    )
    loan.refresh_from_db()
    assert loan.monthly_installment == D("9259.59") and loan.emis_paid_on_time == 0
    # The 50 % rule counts the new EMI: 9,259.59 + a new 1,000 EMI > 10,000 (half the salary).
    decision = api.post(
        "/check-eligibility",
        {"customer_id": customer.pk, "loan_amount": 11000, "interest_rate": 20, "tenure": 12},
        format="json",
    ).json()
    assert "9,259.59" in decision["message"], decision


def test_over_payment_lowers_the_emi_and_is_on_time(api, pin_today):
    pin_today(dt.date(2025, 2, 10))
    loan = api_loan()
    body = pay(api, loan, 20000).json()
    assert (body["on_time"], body["balance"], body["monthly_installment"]) == (
        True,
        81000.0,
        7812.78,
    )
    loan.refresh_from_db()
    assert loan.monthly_installment == D("7812.78") and loan.emis_paid_on_time == 1


def test_payoff_closes_the_loan_and_lowers_the_debt(api, pin_today, assert_debt_invariant):
    pin_today(dt.date(2025, 2, 10))
    loan = api_loan()
    other = api_loan(loan.customer, loan_amount=D("50000"))
    customer = Customer.objects.get(pk=loan.customer_id)
    assert customer.current_debt == D("150000")
    body = pay(api, loan, 101000).json()
    assert (body["balance"], body["repayments_left"], body["loan_closed"]) == (0.0, 0, True)
    loan.refresh_from_db()
    customer.refresh_from_db()
    assert loan.is_active is False
    assert customer.current_debt == D("50000")
    assert_debt_invariant()
    listed = api.get(f"/view-loans/{customer.pk}").json()
    assert [row["loan_id"] for row in listed] == [other.pk]
    assert_error(pay(api, loan, 100), 409, "loan_closed")


def test_amount_above_payoff_names_the_payoff_and_changes_nothing(api, pin_today):
    pin_today(dt.date(2025, 2, 10))
    loan = api_loan()
    body = assert_error(pay(api, loan, 101000.01), 400, "amount_above_payoff")
    assert body["payoff_amount"] == 101000.0
    assert "101,000.00" in body["message"]
    assert not Repayment.objects.exists()


def test_amount_below_interest_is_refused(api, pin_today):
    pin_today(dt.date(2025, 2, 10))
    loan = api_loan()
    body = assert_error(pay(api, loan, 999.99), 400, "amount_below_interest")
    assert "1,000.00" in body["message"]
    assert pay(api, loan, 1000).status_code == 201  # the interest alone is accepted


def test_last_installment_must_pay_off(api, pin_today):
    pin_today(dt.date(2025, 3, 10))
    loan = api_loan(tenure=2, monthly_installment=monthly_installment(AMOUNT, RATE, 2))
    first = pay(api, loan, float(loan.monthly_installment)).json()
    assert first["repayments_left"] == 1
    body = assert_error(pay(api, loan, 1000), 400, "last_installment_must_pay_off")
    last = pay(api, loan, body["payoff_amount"]).json()
    assert (last["installment_number"], last["balance"], last["loan_closed"]) == (2, 0.0, True)


def test_zero_percent_loan(api, pin_today):
    pin_today(dt.date(2025, 2, 10))
    loan = api_loan(loan_amount=D("1000"), interest_rate=D("0"), tenure=3)
    bodies = [pay(api, loan, amount).json() for amount in (333.33, 333.33)]
    assert [b["interest"] for b in bodies] == [0.0, 0.0]
    assert bodies[-1]["balance"] == 333.34
    last = pay(api, loan, 333.34).json()
    assert (last["balance"], last["loan_closed"]) == (0.0, True)


@pytest.mark.parametrize(
    ("paid_on", "fragment"),
    [
        (dt.date(2025, 2, 11), "in the future"),
        (dt.date(2025, 1, 30), "before the loan's start"),
    ],
)
def test_paid_on_out_of_range_is_refused(api, pin_today, paid_on, fragment):
    pin_today(dt.date(2025, 2, 10))
    loan = api_loan()
    body = assert_error(pay(api, loan, 8884.88, paid_on=paid_on), 400, "invalid_paid_on")
    assert fragment in body["message"]
    assert not Repayment.objects.exists()


def test_paid_on_before_the_last_payment_is_refused(api, pin_today):
    pin_today(dt.date(2025, 3, 10))
    loan = api_loan()
    assert pay(api, loan, 8884.88, paid_on=dt.date(2025, 3, 5)).status_code == 201
    body = assert_error(
        pay(api, loan, 8884.88, paid_on=dt.date(2025, 3, 4)), 400, "invalid_paid_on"
    )
    assert "last recorded payment" in body["message"]
    assert pay(api, loan, 8884.88, paid_on=dt.date(2025, 3, 5)).status_code == 201  # same day


def test_unknown_or_foreign_ids_are_404(api, pin_today):
    pin_today(dt.date(2025, 2, 10))
    loan = api_loan()
    stranger = make_customer()
    assert_error(pay(api, loan, 100, customer_id=9_000_000_000_000), 404, "not_found")
    assert_error(pay(api, loan, 100, customer_id=stranger.pk), 404, "not_found")
    assert_error(
        api.post(f"/make-payment/{loan.customer_id}/987654321", {"amount": 1}, format="json"), 404
    )
    assert_error(api.get(f"/view-statement/{stranger.pk}/{loan.pk}"), 404, "not_found")
    assert_error(api.get(f"/view-statement/9000000000000/{loan.pk}"), 404, "not_found")
    assert not Repayment.objects.exists()


def test_closed_loan_is_409(api, pin_today):
    pin_today(dt.date(2025, 2, 10))
    loan = api_loan(is_active=False)
    assert_error(pay(api, loan, 100), 409, "loan_closed")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"amount": "100"},
        {"amount": 0},
        {"amount": -5},
        {"amount": 1.001},
        {"amount": True},
        {"amount": 100, "paid_on": "10/02/2025"},
        {"amount": 100, "paid_on": 20250210},
        {"amount": 100, "paid_on": "2025-02-30"},
        {"amount": 100, "paid_on": None},
    ],
)
def test_invalid_bodies_are_400_and_change_nothing(api, pin_today, body):
    pin_today(dt.date(2025, 2, 10))
    loan = api_loan()
    response = api.post(f"/make-payment/{loan.customer_id}/{loan.pk}", body, format="json")
    assert_error(response, 400, "invalid")
    assert not Repayment.objects.exists()


def test_repayments_left_counts_unsettled_installments_of_api_loans(api, pin_today):
    pin_today(dt.date(2025, 5, 15))  # 3 installments due (Feb 28, Mar 31, Apr 30), none paid
    loan = api_loan()
    rows = api.get(f"/view-loans/{loan.customer_id}").json()
    assert rows[0]["repayments_left"] == 12
    pay(api, loan, 8884.88)
    assert api.get(f"/view-loans/{loan.customer_id}").json()[0]["repayments_left"] == 11


# --- view-statement ----------------------------------------------------------------------------


def test_statement_shows_recorded_past_and_projected_future(api, pin_today):
    pin_today(dt.date(2025, 4, 15))
    loan = api_loan()
    pay(api, loan, 8884.88, paid_on=dt.date(2025, 2, 27))  # 1: on time
    pay(api, loan, 8884.88, paid_on=dt.date(2025, 4, 2))  # 2 (due Mar 31): late
    s = statement(api, loan)
    lines = s["installments"]
    assert [line["installment_number"] for line in lines] == list(range(1, 13))
    statuses = [line["status"] for line in lines]
    assert statuses[:3] == ["paid_on_time", "paid_late", "due"]  # 3 is due Apr 30
    assert set(statuses[3:]) == {"upcoming"}
    assert lines[0] == {
        "installment_number": 1,
        "due_date": "2025-02-28",
        "amount": 8884.88,
        "interest": 1000.0,
        "principal": 7884.88,
        "balance": 92115.12,
        "status": "paid_on_time",
        "paid_on": "2025-02-27",
        "amount_paid": 8884.88,
    }
    assert lines[2]["paid_on"] is None and lines[2]["amount_paid"] is None
    assert [line["due_date"] for line in lines[2:4]] == ["2025-04-30", "2025-05-31"]
    assert lines[-1]["balance"] == 0.0
    expected = amortization_schedule(AMOUNT, RATE, EMI, 1, 12)
    assert [D(str(line["balance"])) for line in lines] == [r.balance_after for r in expected]
    assert lines[-1]["amount"] == 8884.85  # the last installment absorbs the rounding
    assert {k: v for k, v in s.items() if k != "installments"} == {
        "customer_id": loan.customer_id,
        "loan_id": loan.pk,
        "principal": 100000.0,
        "interest_rate": 12.0,
        "tenure": 12,
        "amount_paid": 17769.76,
        "monthly_installment": 8884.88,
        "repayments_left": 10,
        "balance": 84151.39,
        "next_due_date": "2025-04-30",
        "payoff_amount": 84992.90,  # 84,151.39 + 841.51 interest
        "loan_closed": False,
    }


def test_statement_marks_overdue_installments(api, pin_today):
    pin_today(dt.date(2025, 4, 15))
    loan = api_loan()
    statuses = [line["status"] for line in statement(api, loan)["installments"]]
    assert statuses[:4] == ["overdue", "overdue", "due", "upcoming"]  # Feb 28, Mar 31 passed
    s = statement(api, loan)
    assert (s["balance"], s["amount_paid"], s["repayments_left"]) == (100000.0, 0.0, 12)
    assert s["next_due_date"] == "2025-02-28"


def test_an_installment_is_due_not_overdue_on_its_due_date(api, pin_today):
    pin_today(dt.date(2025, 2, 28))
    loan = api_loan()
    statuses = [line["status"] for line in statement(api, loan)["installments"]]
    assert statuses[:2] == ["due", "upcoming"]
    assert pay(api, loan, 8884.88).json()["on_time"] is True


def test_statement_after_an_over_payment_follows_the_new_emi(api, pin_today):
    pin_today(dt.date(2025, 2, 10))
    loan = api_loan()
    pay(api, loan, 20000)
    lines = statement(api, loan)["installments"]
    assert [line["amount"] for line in lines[1:-1]] == [7812.78] * 10
    assert lines[-1]["balance"] == 0.0
    assert len(lines) == 12


def test_statement_of_a_paid_off_loan(api, pin_today):
    pin_today(dt.date(2025, 2, 10))
    loan = api_loan()
    pay(api, loan, 101000)
    s = statement(api, loan)
    assert [line["status"] for line in s["installments"]] == ["paid_on_time"]
    assert (s["balance"], s["repayments_left"], s["payoff_amount"], s["loan_closed"]) == (
        0.0,
        0,
        0.0,
        True,
    )
    assert s["next_due_date"] is None and s["amount_paid"] == 101000.0


def test_sql_schedule_and_loan_balances_agree_with_the_statement(api, pin_today):
    pin_today(dt.date(2025, 4, 15))
    loan = api_loan()
    pay(api, loan, 8884.88, paid_on=dt.date(2025, 2, 27))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT balance, installments_paid, installments_overdue, next_due_date,"
            " repayments_left FROM loan_balances WHERE loan_id = %s",
            [loan.pk],
        )
        row = cursor.fetchone()
    assert row == (D("92115.12"), 1, 1, dt.date(2025, 3, 31), 11)
    s = statement(api, loan)
    assert (D(str(s["balance"])), s["repayments_left"], s["next_due_date"]) == (
        row[0],
        row[4],
        row[3].isoformat(),
    )


# --- the ledger guards itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement_sql",
    [
        "UPDATE repayments SET request_id = 'rewritten'",  # breaks no CHECK
        "DELETE FROM repayments",
        "TRUNCATE repayments",
    ],
)
def test_repayments_are_append_only(api, pin_today, statement_sql):
    pin_today(dt.date(2025, 2, 10))
    pay(api, api_loan(), 8884.88)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement_sql)
    assert Repayment.objects.count() == 1


def test_an_installment_is_settled_once_and_a_paid_loan_cannot_be_deleted(api, pin_today):
    pin_today(dt.date(2025, 2, 10))
    loan = api_loan()
    pay(api, loan, 8884.88)
    row = Repayment.objects.values().get()
    row.pop("repayment_id")
    row.pop("created_at")
    unique = pytest.raises(IntegrityError, match="repayments_loan_installment_unique")
    with unique, transaction.atomic():
        Repayment.objects.create(**row)
    restricted = pytest.raises(IntegrityError, match="repayments_loan_id_fkey")
    with restricted, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM loans WHERE loan_id = %s", [loan.pk])


def test_every_column_of_repayments_is_commented():
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT a.attname FROM pg_attribute AS a
                WHERE a.attrelid = 'repayments'::regclass AND a.attnum > 0
                  AND NOT a.attisdropped AND col_description(a.attrelid, a.attnum) IS NULL"""
        )
        assert cursor.fetchall() == []
        cursor.execute("SELECT obj_description('repayments'::regclass, 'pg_class')")
        assert cursor.fetchone()[0]


def test_queries_per_request_do_not_grow_with_payments(api, pin_today):
    from django.test.utils import CaptureQueriesContext

    pin_today(dt.date(2025, 2, 10))
    counts = []
    for paid_before in (0, 40):
        loan = api_loan(tenure=60, monthly_installment=monthly_installment(AMOUNT, RATE, 60))
        for _ in range(paid_before):
            pay(api, loan, float(loan.monthly_installment))
        with CaptureQueriesContext(connection) as paying:
            assert pay(api, loan, float(loan.monthly_installment)).status_code == 201
        with CaptureQueriesContext(connection) as reading:
            statement(api, loan)
        counts.append((len(paying), len(reading)))
    assert counts[0] == counts[1]
    assert counts[0][1] == 2  # the loan, then the whole statement in one query
