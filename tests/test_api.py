"""Every endpoint's success path and every error path, as a client sees them (README, "API endpoints")."""

import datetime as dt
import inspect
import json
import re
from decimal import Decimal

import pytest

from core.models import Customer, Loan
from core.serializers import RequestSerializer
from core.services.emi import monthly_installment
from tests.conftest import make_customer, make_loan

pytestmark = pytest.mark.django_db

REGISTER = {
    "first_name": "Asha",
    "last_name": "Rao",
    "age": 30,
    "monthly_income": 62500,
    "phone_number": 9876543210,
}


def post(api, path, body, **kwargs):
    return api.post(path, data=json.dumps(body), content_type="application/json", **kwargs)


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status
    if code:
        assert body["code"] == code
    assert "Traceback" not in response.content.decode()
    return body


# --- /register --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/register", "/register/"])
def test_register(api, path, assert_debt_invariant):
    response = post(api, path, REGISTER)
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "customer_id": body["customer_id"],
        "name": "Asha Rao",
        "age": 30,
        "monthly_income": 62500,
        "approved_limit": 2300000,
        "phone_number": 9876543210,
    }
    assert isinstance(body["customer_id"], int) and isinstance(body["phone_number"], int)
    customer = Customer.objects.get(pk=body["customer_id"])
    assert customer.approved_limit == Decimal("2300000.00")
    assert customer.current_debt == 0
    assert_debt_invariant()


def test_register_keeps_decimals_exact_and_accepts_phone_as_string(api):
    response = post(
        api,
        "/register",
        {**REGISTER, "monthly_income": 12345.67, "phone_number": "123456789012345"},
    )
    assert response.status_code == 201
    assert response.json()["monthly_income"] == 12345.67
    assert response.json()["phone_number"] == 123456789012345
    assert Customer.objects.get().monthly_salary == Decimal("12345.67")


def test_register_duplicate_phone_is_409(api):
    assert post(api, "/register", REGISTER).status_code == 201
    body = assert_error(
        post(api, "/register", {**REGISTER, "phone_number": "9876543210"}),
        409,
        "phone_number_taken",
    )
    assert "phone" in body["message"]
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"first_name": None}, "first_name"),
        ({"first_name": "   "}, "first_name"),
        ({"last_name": "x" * 101}, "last_name"),
        ({"age": 17}, "age"),
        ({"age": 101}, "age"),
        ({"age": "30"}, "age"),
        ({"age": 30.5}, "age"),
        ({"age": True}, "age"),
        ({"monthly_income": 0}, "monthly_income"),
        ({"monthly_income": -5}, "monthly_income"),
        ({"monthly_income": "50000"}, "monthly_income"),
        ({"monthly_income": 100.001}, "monthly_income"),
        ({"monthly_income": 1234567890123}, "monthly_income"),
        ({"monthly_income": 99999999999.99}, "monthly_income"),  # limit would overflow
        ({"phone_number": "0123456789"}, "phone_number"),
        ({"phone_number": 123456789}, "phone_number"),
        ({"phone_number": "1234567890123456"}, "phone_number"),
        ({"phone_number": "98765-43210"}, "phone_number"),
        ({"phone_number": 9876543210.0}, "phone_number"),
        ({"phone_number": False}, "phone_number"),
    ],
)
def test_register_invalid_fields_are_400(api, change, field):
    body = assert_error(post(api, "/register", {**REGISTER, **change}), 400, "invalid")
    assert list(body["errors"]) == [field]
    assert Customer.objects.count() == 0


def test_register_missing_fields_are_all_named(api):
    body = assert_error(post(api, "/register", {}), 400, "invalid")
    assert set(body["errors"]) == set(REGISTER)


@pytest.mark.parametrize(
    "raw",
    ["{not json", '{"a": 1', "", "\xff", '{"age": 30, "age": 31}'],
)
def test_malformed_json_is_400(api, raw):
    response = api.post("/register", data=raw, content_type="application/json")
    if raw == "":
        assert_error(response, 400, "invalid")  # an empty body is an empty object
    else:
        assert_error(response, 400, "malformed")


def test_non_object_body_is_400(api):
    assert_error(post(api, "/register", [REGISTER]), 400, "invalid")


def test_non_json_body_is_415(api):
    response = api.post("/register", data="first_name=A", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")
    response = api.post("/register", data={"first_name": "A"}, format="multipart")
    assert_error(response, 415)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/register"),
        ("put", "/create-loan"),
        ("delete", "/check-eligibility/"),
        ("post", "/view-loan/1"),
        ("patch", "/view-loans/1"),
    ],
)
def test_wrong_method_is_405(api, method, path):
    response = getattr(api, method)(path)
    assert_error(response, 405, "method_not_allowed")
    assert "Allow" in response


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/view-loan/abc",
        "/view-loan/-1",
        "/view-loans/1.5",
        "/view-loan/99999999999999999999",
        "/view-loan/9223372036854775808",
        "/register//",
    ],
)
def test_unknown_routes_are_json_404(api, path):
    assert_error(api.get(path), 404)


# --- /check-eligibility ---------------------------------------------------------------------


def loan_body(customer, **change):
    return {
        "customer_id": customer.pk,
        "loan_amount": 500000,
        "interest_rate": 10.5,
        "tenure": 24,
        **change,
    }


@pytest.mark.parametrize("path", ["/check-eligibility", "/check-eligibility/"])
def test_check_eligibility_approves_a_new_customer(api, path):
    customer = make_customer(monthly_salary=Decimal("62500"), approved_limit=Decimal("2300000"))
    response = post(api, path, loan_body(customer))
    assert response.status_code == 200
    body = response.json()
    assert {
        k: body[k]
        for k in (
            "customer_id",
            "approval",
            "interest_rate",
            "corrected_interest_rate",
            "tenure",
            "monthly_installment",
        )
    } == {
        "customer_id": customer.pk,
        "approval": True,
        "interest_rate": 10.5,
        "corrected_interest_rate": 10.5,
        "tenure": 24,
        "monthly_installment": 23188.02,
    }
    assert body["credit_score"] == 60
    assert Loan.objects.count() == 0  # nothing is stored


def test_check_eligibility_corrects_the_rate_for_a_low_score(api, pin_today):
    pin_today(dt.date(2025, 6, 15))
    customer = make_customer(approved_limit=Decimal("10000000"))
    # Five loans this year, none paid on time: 0 + 20 + 0 + volume points → score in 30..50.
    for month in range(1, 6):
        make_loan(customer, start=dt.date(2025, month, 1), tenure=60, is_active=False)
    response = post(api, "/check-eligibility", loan_body(customer, interest_rate=8))
    body = response.json()
    assert 30 <= body["credit_score"] <= 50
    assert body["approval"] is False
    assert body["interest_rate"] == 8
    assert body["corrected_interest_rate"] == 12
    assert body["monthly_installment"] == float(
        monthly_installment(Decimal("500000"), Decimal("12"), 24)
    )
    assert [r["rule"] for r in body["reasons"]] == ["interest_rate"]


def test_check_eligibility_unknown_customer_is_404(api):
    assert_error(
        post(
            api,
            "/check-eligibility",
            {"customer_id": 424242, "loan_amount": 1, "interest_rate": 1, "tenure": 1},
        ),
        404,
        "not_found",
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_id": "1"}, "customer_id"),
        ({"customer_id": 0}, "customer_id"),
        ({"customer_id": 2**63}, "customer_id"),
        ({"loan_amount": 0}, "loan_amount"),
        ({"loan_amount": -100}, "loan_amount"),
        ({"loan_amount": 1000000000000}, "loan_amount"),
        ({"loan_amount": 10.555}, "loan_amount"),
        ({"interest_rate": 100.01}, "interest_rate"),
        ({"interest_rate": -0.5}, "interest_rate"),
        ({"interest_rate": 10.123}, "interest_rate"),
        ({"interest_rate": "10"}, "interest_rate"),
        ({"tenure": 0}, "tenure"),
        ({"tenure": 601}, "tenure"),
        ({"tenure": 12.5}, "tenure"),
        ({"tenure": None}, "tenure"),
    ],
)
@pytest.mark.parametrize("path", ["/check-eligibility", "/create-loan"])
def test_loan_requests_with_invalid_fields_are_400(api, path, change, field):
    customer = make_customer()
    body = assert_error(post(api, path, loan_body(customer, **change)), 400, "invalid")
    assert list(body["errors"]) == [field]
    assert Loan.objects.count() == 0


def test_trailing_zeros_are_not_extra_decimals(api):
    customer = make_customer()
    raw = f'{{"customer_id": {customer.pk}, "loan_amount": 1E+5, "interest_rate": 10.500, "tenure": 12}}'
    response = api.post("/check-eligibility", data=raw, content_type="application/json")
    assert response.status_code == 200, response.content


# --- /create-loan ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/create-loan", "/create-loan/"])
def test_create_loan_approved(api, path, pin_today, assert_debt_invariant):
    pin_today(dt.date(2025, 1, 31))
    customer = make_customer(monthly_salary=Decimal("62500"), approved_limit=Decimal("2300000"))
    response = post(api, path, loan_body(customer, tenure=1, loan_amount=25000))
    assert response.status_code == 201
    body = response.json()
    assert body["loan_approved"] is True and isinstance(body["loan_id"], int)
    assert body["customer_id"] == customer.pk
    assert body["message"] == "Loan approved."
    assert body["monthly_installment"] == float(
        monthly_installment(Decimal("25000"), Decimal("10.5"), 1)
    )
    loan = Loan.objects.get(pk=body["loan_id"])
    assert (loan.start_date, loan.end_date) == (dt.date(2025, 1, 31), dt.date(2025, 2, 28))
    assert (loan.emis_paid_on_time, loan.is_active, loan.source_loan_id) == (0, True, None)
    assert loan.monthly_installment == Decimal(str(body["monthly_installment"]))
    customer.refresh_from_db()
    assert customer.current_debt == 25000
    assert_debt_invariant()


def test_create_loan_declined_is_200_and_stores_nothing(api):
    customer = make_customer(monthly_salary=Decimal("10000"), approved_limit=Decimal("100000"))
    response = post(api, "/create-loan", loan_body(customer))
    assert response.status_code == 200
    body = response.json()
    assert body["loan_id"] is None and body["loan_approved"] is False
    assert "approved limit" in body["message"] and "monthly salary" in body["message"]
    assert {r["rule"] for r in body["reasons"]} == {"affordability", "credit_limit"}
    assert Loan.objects.count() == 0


def test_create_loan_unknown_customer_is_404(api):
    assert_error(
        post(
            api,
            "/create-loan",
            {"customer_id": 424242, "loan_amount": 1, "interest_rate": 1, "tenure": 1},
        ),
        404,
    )


def test_create_loan_until_the_limit_is_reached(api, assert_debt_invariant):
    customer = make_customer(monthly_salary=Decimal("1000000"), approved_limit=Decimal("300000"))
    # Rate 20 passes every slab from 10 up, so only the credit limit can stop a loan.
    outcomes = [
        post(api, "/create-loan", loan_body(customer, loan_amount=100000, interest_rate=20)).json()
        for _ in range(4)
    ]
    assert [o["loan_approved"] for o in outcomes] == [True, True, True, False]
    assert_debt_invariant()


# --- /view-loan, /view-loans ----------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/"])
def test_view_loan(api, suffix):
    customer = make_customer(
        first_name="Ravi", last_name="Kumar", phone_number="9123456789", age=41
    )
    loan = make_loan(
        customer,
        start=dt.date(2024, 5, 10),
        loan_amount=Decimal("150000.50"),
        interest_rate=Decimal("12.75"),
        monthly_installment=Decimal("13395.07"),
    )
    response = api.get(f"/view-loan/{loan.pk}{suffix}")
    assert response.status_code == 200
    assert response.json() == {
        "loan_id": loan.pk,
        "customer": {
            "id": customer.pk,
            "first_name": "Ravi",
            "last_name": "Kumar",
            "phone_number": 9123456789,
            "age": 41,
        },
        "loan_amount": 150000.5,
        "interest_rate": 12.75,
        "monthly_installment": 13395.07,
        "tenure": 12,
    }


def test_view_loan_unknown_is_404(api):
    assert_error(api.get("/view-loan/9223372036854775807"), 404, "not_found")


@pytest.mark.parametrize("suffix", ["", "/"])
def test_view_loans_lists_active_loans_with_repayments_left(api, pin_today, suffix):
    pin_today(dt.date(2024, 3, 31))
    customer = make_customer()
    # From the spreadsheet, no payment recorded: the calendar count (due Feb 29, Mar 31 → 4 left).
    second = make_loan(
        customer,
        start=dt.date(2024, 1, 31),
        tenure=6,
        loan_amount=Decimal("2000"),
        source_loan_id=77,
    )
    make_loan(customer, start=dt.date(2023, 1, 1), tenure=12, is_active=False)
    first = make_loan(customer, start=dt.date(2024, 3, 31), tenure=3)  # none due yet
    # Made through the API, two installments due and none paid: all 6 left.
    unpaid = make_loan(customer, start=dt.date(2024, 1, 31), tenure=6)
    make_loan(make_customer(), start=dt.date(2024, 1, 1))  # someone else's
    response = api.get(f"/view-loans/{customer.pk}{suffix}")
    assert response.status_code == 200
    rows = response.json()
    assert [r["loan_id"] for r in rows] == sorted([second.pk, first.pk, unpaid.pk])
    by_id = {r["loan_id"]: r for r in rows}
    assert by_id[second.pk] == {
        "loan_id": second.pk,
        "loan_amount": 2000,
        "interest_rate": 10,
        "monthly_installment": 8791.59,
        "repayments_left": 4,
    }
    assert by_id[first.pk]["repayments_left"] == 3
    assert by_id[unpaid.pk]["repayments_left"] == 6


def test_view_loans_empty_and_unknown(api):
    customer = make_customer()
    make_loan(customer, start=dt.date(2020, 1, 1), is_active=False)
    response = api.get(f"/view-loans/{customer.pk}")
    assert response.status_code == 200 and response.json() == []
    assert_error(api.get("/view-loans/424242"), 404, "not_found")


# --- schema and docs ----------------------------------------------------------------------------


def test_openapi_schema_lists_each_path_once(api):
    response = api.get("/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = set(json.loads(response.content)["paths"])
    assert paths == {
        "/register",
        "/check-eligibility",
        "/create-loan",
        "/view-loan/{loan_id}",
        "/view-loans/{customer_id}",
        "/make-payment/{customer_id}/{loan_id}",
        "/view-statement/{customer_id}/{loan_id}",
        "/health",
        "/health/live",
        "/health/ready",
        "/metrics",
        "/view-decision/{decision_id}",
        "/credit-score/{customer_id}",
    }


def test_each_request_body_is_described_for_clients_not_by_its_base_class(api):
    """drf-spectacular describes a component by its serializer's docstring, inherited when the
    class has none: the request bodies must not show RequestSerializer's notes on parsing."""
    schemas = api.get("/schema?format=json").json()["components"]["schemas"]
    internal = inspect.getdoc(RequestSerializer)
    bodies = ("RegisterRequestRequest", "LoanRequestRequest", "MakePaymentRequestRequest")
    for name in bodies:
        description = schemas[name].get("description", "")
        assert description and description != internal, name
        assert "parse()" not in description and "DRF" not in description, name


def test_every_operation_is_described_for_clients(api):
    """drf-spectacular describes an operation by its view's docstring, inherited when the view
    has none: each operation has a description of its own, with no notes on the code's
    internals (the shared base views keep theirs in comments)."""
    paths = api.get("/schema?format=json").json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            description = operation.get("description", "")
            assert description, (method, path)
            assert not re.search(r"direct_view|DRF|REST framework|core/", description), (
                method,
                path,
            )


def test_docs_page_serves_its_own_assets(api):
    response = api.get("/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "http://" not in html and "https://" not in html  # no CDN


def test_docs_assets_are_served_by_the_service(client):
    html = client.get("/docs").content.decode()
    assert "swagger-ui-bundle.js" in html
    asset = html.split('src="')[1].split('"')[0] if 'src="' in html else ""
    assert asset.startswith("/static/"), html
    response = client.get(asset)
    assert response.status_code == 200
