"""Edge cases of the input a client can send: numbers at the limits of exactness, JSON that
is valid but ambiguous, names with nothing visible in them, bodies over the limit, and loans
too small to be repaid in cents."""

import json
from decimal import Decimal, localcontext

import pytest
from django.db import connection

from core.models import Customer, Loan
from tests.conftest import make_customer

pytestmark = pytest.mark.django_db

REGISTER = {
    "first_name": "Asha",
    "last_name": "Rao",
    "age": 30,
    "monthly_income": 62500,
    "phone_number": 9876543210,
}
LOAN_PATHS = ["/check-eligibility", "/create-loan"]


def post_raw(api, path, raw: str):
    return api.post(path, data=raw, content_type="application/json")


def post(api, path, body):
    return post_raw(api, path, json.dumps(body))


def field_errors(response, status=400, code="invalid") -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    return body.get("errors", {})


def loan_raw(customer_id: int, amount: str, rate: str, tenure: int = 12) -> str:
    return (
        f'{{"customer_id": {customer_id}, "loan_amount": {amount}, '
        f'"interest_rate": {rate}, "tenure": {tenure}}}'
    )


# --- an installment that rounds to 0.00 -------------------------------------------------------


@pytest.mark.parametrize("path", LOAN_PATHS)
def test_a_loan_whose_installment_rounds_to_zero_is_400_and_stores_nothing(api, path):
    customer = make_customer()
    response = post(
        api,
        path,
        {"customer_id": customer.pk, "loan_amount": 2.99, "interest_rate": 0, "tenure": 600},
    )
    errors = field_errors(response)
    assert list(errors) == ["loan_amount"]
    assert "0.00" in errors["loan_amount"][0]
    assert Loan.objects.count() == 0


def _loan_id_sequence() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('loans', 'loan_id')")
        (sequence,) = cursor.fetchone()
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
        return cursor.fetchone()


def test_a_refused_tiny_loan_burns_no_loan_id(api):
    customer = make_customer()
    tiny = {"customer_id": customer.pk, "loan_amount": 2.99, "interest_rate": 0, "tenure": 600}
    before = _loan_id_sequence()
    assert post(api, "/create-loan", tiny).status_code == 400
    assert _loan_id_sequence() == before  # nextval() never ran


@pytest.mark.parametrize("path", LOAN_PATHS)
def test_the_smallest_payable_installment_is_decided(api, path):
    customer = make_customer()
    # 6.00 over 600 months at 0 % is exactly 0.01 a month.
    body = {"customer_id": customer.pk, "loan_amount": 6, "interest_rate": 0, "tenure": 600}
    response = post(api, path, body)
    assert response.status_code in (200, 201), response.content
    assert response.json()["monthly_installment"] == 0.01


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LOAN_PATHS)
@pytest.mark.parametrize("field", ["loan_amount", "interest_rate"])
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_by_the_field_that_holds_them(api, path, field, constant):
    customer = make_customer()
    values = {"loan_amount": "1000", "interest_rate": "10"}
    values[field] = constant
    response = post_raw(
        api, path, loan_raw(customer.pk, values["loan_amount"], values["interest_rate"])
    )
    errors = field_errors(response)
    assert list(errors) == [field]
    assert "finite" in errors[field][0]


@pytest.mark.parametrize(
    ("field", "constant"), [("age", "NaN"), ("monthly_income", "Infinity"), ("phone_number", "NaN")]
)
def test_nan_and_infinity_elsewhere_are_refused_per_field(api, field, constant):
    raw = json.dumps({**REGISTER, field: "__C__"}).replace('"__C__"', constant)
    errors = field_errors(post_raw(api, "/register", raw))
    assert list(errors) == [field]
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("path", LOAN_PATHS)
def test_minus_zero_is_zero(api, path):
    customer = make_customer()
    response = post_raw(api, path, loan_raw(customer.pk, "1000", "-0.0"))
    assert response.status_code in (200, 201), response.content
    assert '"interest_rate":-0' not in response.content.decode().replace(" ", "")
    assert json.loads(response.content)["interest_rate"] == 0
    if path == "/create-loan":
        assert str(Loan.objects.get().interest_rate) == "0.00"


@pytest.mark.parametrize("path", LOAN_PATHS)
@pytest.mark.parametrize("precision", [28, 5, 60])
def test_more_than_two_decimals_are_refused_whatever_the_precision_context(api, path, precision):
    customer = make_customer()
    with localcontext() as ctx:
        ctx.prec = precision
        response = post_raw(
            api, path, loan_raw(customer.pk, "1.0000000000000000000000000001", "10")
        )
    errors = field_errors(response)
    assert list(errors) == ["loan_amount"]
    assert Loan.objects.count() == 0


def test_trailing_zeros_and_exponents_are_still_exact(api):
    customer = make_customer()
    raw = loan_raw(customer.pk, "1.5000000000000000000000000000000000", "1.00E+1")
    response = post_raw(api, "/check-eligibility", raw)
    assert response.status_code == 200, response.content
    assert Decimal(str(response.json()["interest_rate"])) == 10


# --- JSON -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        '{"first_name": "A", "first_name": "B", "last_name": "Rao", "age": 30, '
        '"monthly_income": 1000, "phone_number": 9876543210}',
        '{"first_name": "A", "last_name": "Rao", "age": 30, "monthly_income": 1000, '
        '"phone_number": 9876543210, "extra": {"k": 1, "k": 2}}',
    ],
)
def test_duplicate_keys_are_refused(api, raw):
    response = post_raw(api, "/register", raw)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "malformed" and "more than once" in body["message"]
    assert Customer.objects.count() == 0


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["\u200b\u200b\u200b", "\u200b \ufeff", "A\x00sha", "As\nha", "As\tha", "Asha\x7f", "A\x85sha"],
)
def test_invisible_names_and_control_characters_are_refused(api, name):
    errors = field_errors(post(api, "/register", {**REGISTER, "first_name": name}))
    assert list(errors) == ["first_name"]
    assert Customer.objects.count() == 0


def test_the_length_limit_counts_the_trimmed_name(api):
    errors = field_errors(post(api, "/register", {**REGISTER, "last_name": "x" * 101}))
    assert list(errors) == ["last_name"]
    # 100 characters with surrounding spaces are 100 characters once trimmed.
    response = post(api, "/register", {**REGISTER, "last_name": "  " + "x" * 100 + " "})
    assert response.status_code == 201, response.content
    assert Customer.objects.get().last_name == "x" * 100


def test_names_in_other_scripts_are_accepted(api):
    response = post(
        api, "/register", {**REGISTER, "first_name": "क्षत्रिय", "last_name": "O'Brien-Ł"}
    )
    assert response.status_code == 201, response.content


def test_the_schema_says_how_names_are_checked(api):
    schema = api.get("/schema?format=json").json()
    name = schema["components"]["schemas"]["RegisterRequestRequest"]["properties"]["first_name"]
    assert name["maxLength"] == 100 and name["minLength"] == 1
    assert "removed first" in name["description"] and "control" in name["description"]


# --- body limit -------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413(api, settings):
    raw = json.dumps({**REGISTER, "first_name": "A" * (10 * 1024 * 1024)})
    response = post_raw(api, "/register", raw)
    assert response.status_code == 413
    assert response.json() == {
        "status": 413,
        "code": "payload_too_large",
        "message": f"The request body is over the limit of {settings.API_MAX_BODY_BYTES} bytes.",
    }
    assert Customer.objects.count() == 0
