"""The cost of a request does not grow with the customer's loan count."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Loan
from tests.conftest import add_months, make_customer

pytestmark = pytest.mark.django_db


def customer_with_loans(count: int):
    customer = make_customer(
        monthly_salary=Decimal("100000000"), approved_limit=Decimal("900000000000")
    )
    start = dt.date(2020, 1, 15)
    Loan.objects.bulk_create(
        Loan(
            customer=customer,
            loan_amount=Decimal("1000"),
            interest_rate=Decimal("9"),
            tenure=120,
            monthly_installment=Decimal("12.67"),
            emis_paid_on_time=10,
            start_date=start,
            end_date=add_months(start, 120),
            is_active=True,
        )
        for _ in range(count)
    )
    return customer


def requests_for(customer, loan_id):
    body = json.dumps(
        {"customer_id": customer.pk, "loan_amount": 1000, "interest_rate": 20, "tenure": 12}
    )
    return {
        "check-eligibility": ("post", "/check-eligibility", body),
        "create-loan": ("post", "/create-loan", body),
        "view-loan": ("get", f"/view-loan/{loan_id}", None),
        "view-loans": ("get", f"/view-loans/{customer.pk}", None),
    }


def count_queries(api, method, path, body) -> int:
    kwargs = {"data": body, "content_type": "application/json"} if body else {}
    with CaptureQueriesContext(connection) as queries:
        response = getattr(api, method)(path, **kwargs)
    assert response.status_code < 300, response.content
    return len(queries)


@pytest.mark.parametrize(
    ("name", "expected"),
    # check-eligibility: the scoring read and the insert of its decision row, nothing else (no
    # connection check; tests/test_hot_path.py); create-loan adds its lock and its loan.
    [("check-eligibility", 2), ("create-loan", 6), ("view-loan", 1), ("view-loans", 2)],
)
def test_queries_per_request_do_not_grow_with_loans(api, name, expected):
    counts = []
    for loans in (1, 500):
        customer = customer_with_loans(loans)
        loan_id = Loan.objects.filter(customer=customer).values_list("pk", flat=True).first()
        method, path, body = requests_for(customer, loan_id)[name]
        counts.append(count_queries(api, method, path, body))
    assert counts == [expected, expected]


def test_check_eligibility_sends_the_scoring_read_and_the_decision_insert(api):
    customer = customer_with_loans(3)
    body = requests_for(customer, None)["check-eligibility"][2]
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/check-eligibility", body, content_type="application/json")
    assert response.status_code == 200, response.content
    first, second = (q["sql"] for q in queries.captured_queries)
    assert "customer_credit_scores" in first and first.lstrip().startswith("SELECT")
    assert "INSERT INTO loan_decisions" in second


def test_single_customer_score_uses_indexes():
    customer = customer_with_loans(50)
    with connection.cursor() as cursor:
        # Enough other customers and loans that a scan would be the wrong plan.
        cursor.execute(
            """INSERT INTO customers (first_name, last_name, phone_number, age, monthly_salary,
                                      approved_limit)
               SELECT 'F', 'L', (8000000000 + g)::text, 30, 50000, 1800000
                 FROM generate_series(1, 20000) AS g"""
        )
        cursor.execute(
            """INSERT INTO loans (customer_id, loan_amount, interest_rate, tenure,
                                  monthly_installment, emis_paid_on_time, start_date, end_date,
                                  is_active)
               SELECT customer_id, 1000, 9, 12, 87.45, 0, '2020-01-01', '2021-01-01', false
                 FROM customers WHERE phone_number LIKE '8%'"""
        )
        cursor.execute("ANALYZE customers; ANALYZE loans")
        cursor.execute(
            "EXPLAIN SELECT credit_score FROM customer_credit_scores WHERE customer_id = %s",
            [customer.pk],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The customer by its primary key; its loans (active and closed) through the one index
    # that leads with customer_id, loans_customer_source_loan_unique: no scan of either table.
    assert re.search(r"Index (Only )?Scan using customers_pkey on customers\b", plan), plan
    assert re.search(
        r"(Index (Only )?Scan using|Bitmap Index Scan on) loans_customer_source_loan_unique\b",
        plan,
    ), plan
    assert "Seq Scan" not in plan, plan
