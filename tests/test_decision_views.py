"""The analysts' views of the decision log, and what the analyst role may read."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import ProgrammingError, connection, transaction

from core.models import LoanDecision
from core.services.eligibility import POLICY_VERSION
from tests.conftest import make_customer, make_loan
from tests.test_analyst_role import as_analyst

pytestmark = pytest.mark.django_db


def post(api, path, customer, **change):
    body = {"customer_id": customer.pk, "loan_amount": 100000, "interest_rate": 14, "tenure": 12}
    body.update(change)
    response = api.post(path, data=json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 201), response.content
    return response.json()


def rows(sql: str) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_outcomes_by_day_kind_slab_and_rule(api, pin_today):
    pin_today(dt.date(2025, 6, 15))
    rich = make_customer(monthly_salary=Decimal("1000000"), approved_limit=Decimal("150000"))
    low = make_customer(approved_limit=Decimal("10000000"))  # score 30-50: five loans this year
    for month in range(1, 6):
        make_loan(low, start=dt.date(2025, month, 1), tenure=60, is_active=False)
    post(api, "/check-eligibility", rich)  # approved
    post(api, "/create-loan", rich)  # approved, a loan
    post(api, "/create-loan", rich)  # declined: limit (and the first loan lowered the score)
    post(api, "/check-eligibility", low, interest_rate=8)  # declined: rate
    post(api, "/check-eligibility", low, interest_rate=8, loan_amount=2 * 10**7)  # 3 rules
    got = rows(
        "SELECT kind, slab, decisions, approved, declined, declined_by_credit_score,"
        " declined_by_interest_rate, declined_by_affordability, declined_by_credit_limit,"
        " declined_with_offer, approved_amount, policy_version, day = credit_day(now()) AS today"
        " FROM decision_outcomes_daily ORDER BY kind, slab"
    )
    common = {"policy_version": POLICY_VERSION, "today": True, "declined_by_credit_score": 0}
    assert got == [
        {
            **common,
            "kind": "check",
            "slab": "30-50",
            "decisions": 2,
            "approved": 0,
            "declined": 2,
            "declined_by_interest_rate": 2,
            "declined_by_affordability": 1,
            "declined_by_credit_limit": 1,
            "declined_with_offer": 1,
            "approved_amount": 0,
        },
        {
            **common,
            "kind": "check",
            "slab": "above 50",
            "decisions": 1,
            "approved": 1,
            "declined": 0,
            "declined_by_interest_rate": 0,
            "declined_by_affordability": 0,
            "declined_by_credit_limit": 0,
            "declined_with_offer": 0,
            "approved_amount": Decimal("100000"),
        },
        {
            **common,
            "kind": "create",
            "slab": "30-50",
            "decisions": 1,
            "approved": 0,
            "declined": 1,
            "declined_by_interest_rate": 0,
            "declined_by_affordability": 0,
            "declined_by_credit_limit": 1,
            "declined_with_offer": 1,
            "approved_amount": 0,
        },
        {
            **common,
            "kind": "create",
            "slab": "above 50",
            "decisions": 1,
            "approved": 1,
            "declined": 0,
            "declined_by_interest_rate": 0,
            "declined_by_affordability": 0,
            "declined_by_credit_limit": 0,
            "declined_with_offer": 0,
            "approved_amount": Decimal("100000"),
        },
    ]


def test_the_day_is_the_lenders_calendar_date(api):
    post(api, "/check-eligibility", make_customer())
    row = LoanDecision.objects.get()
    late = dt.datetime(2025, 3, 31, 20, 0, tzinfo=dt.UTC)  # 01:30 on April 1st in Kolkata
    fields = {f.attname: getattr(row, f.attname) for f in LoanDecision._meta.concrete_fields}
    fields.pop("decision_id")
    LoanDecision.objects.create(**{**fields, "decided_at": late})
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('credit.time_zone', 'Asia/Kolkata', true)")
    days = [r["day"] for r in rows("SELECT day FROM decision_outcomes_daily ORDER BY day")]
    assert days[0] == dt.date(2025, 4, 1)


def test_latest_decision_per_customer(api):
    a, b = make_customer(), make_customer(monthly_salary=Decimal("10000"))
    post(api, "/check-eligibility", a)
    last_of_a = post(api, "/create-loan", a, loan_amount=200000)
    only_of_b = post(api, "/check-eligibility", b, loan_amount=5000000)
    got = {
        r["customer_id"]: r
        for r in rows(
            "SELECT customer_id, decision_id, kind, approved, declined_rules, loan_id,"
            " offer_loan_amount FROM customer_latest_decision"
        )
    }
    assert set(got) == {a.pk, b.pk}
    assert got[a.pk] == {
        "customer_id": a.pk,
        "decision_id": last_of_a["decision_id"],
        "kind": "create",
        "approved": True,
        "declined_rules": [],
        "loan_id": last_of_a["loan_id"],
        "offer_loan_amount": None,
    }
    assert got[b.pk]["decision_id"] == only_of_b["decision_id"]
    assert got[b.pk]["declined_rules"] == ["affordability", "credit_limit"]
    largest = only_of_b["offer"]["largest_amount"]["loan_amount"]
    assert got[b.pk]["offer_loan_amount"] == Decimal(str(largest))


# --- the analyst role ---------------------------------------------------------------------------


def test_analyst_reads_the_decision_views_without_operational_columns(api):
    customer = make_customer()
    post(api, "/check-eligibility", customer)
    assert as_analyst("SELECT decisions FROM decision_outcomes_daily") == [(1,)]
    assert as_analyst(
        f"SELECT customer_id FROM customer_latest_decision WHERE customer_id = {customer.pk}"
    ) == [(customer.pk,)]
    columns = {
        name
        for (name,) in as_analyst(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name IN ('decision_outcomes_daily', 'customer_latest_decision')"
        )
    }
    assert columns and not columns & {"request_id", "api_key_name", "message"}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT request_id FROM loan_decisions",
        "SELECT count(*) FROM loan_decisions",
        "INSERT INTO loan_decisions (kind) VALUES ('check')",
    ],
)
def test_analyst_cannot_read_the_decision_table(api, sql):
    post(api, "/check-eligibility", make_customer())
    with pytest.raises(ProgrammingError, match="permission denied"):
        as_analyst(sql)


def test_the_role_comment_lists_what_it_may_read():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles"
            " WHERE rolname = 'credit_analyst'"
        )
        (comment,) = cursor.fetchone()
    assert "decision_outcomes_daily" in comment and "customer_latest_decision" in comment
