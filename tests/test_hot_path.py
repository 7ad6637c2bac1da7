"""What every request does not pay for any more, and that the behaviour stayed: no connection
check per request (a broken connection answers 503 and the next request reconnects), /health's
probe reused for HEALTH_CACHE_SECONDS, serializers bound once, request bodies read by the
fields without a serializer per request, the hot statements compiled once and prepared once per
connection, content negotiation's shortcut, plain requests answered without DRF's machinery
(check-eligibility and the reads by id) as DRF answers them, the benchmark's floors never
routed."""

import datetime as dt
import json
from decimal import Decimal

import psycopg2
import pytest
from django.db import (
    OperationalError,
    ProgrammingError,
    close_old_connections,
    connection,
    connections,
    transaction,
)
from django.db.models import Value
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from rest_framework import serializers as drf
from rest_framework.views import APIView

from core import serializers as s
from core.dbfunctions import LoanRepaymentsLeft
from core.exceptions import json_not_found
from core.models import CustomerCreditScore, Loan, LoanDecision
from core.renderers import representation
from core.services import credit_score, decisions, health, loans
from core.services.compiled import ANY_ID, compile_query
from core.services.eligibility import LoanRequest
from core.services.errors import DecisionNotFound
from core.statements import fetch_all, fetch_one, prepared
from tests.conftest import make_customer, make_loan


def customer_with_a_loan():
    customer = make_customer(monthly_salary=Decimal("100000"), approved_limit=Decimal("3600000"))
    loan = make_loan(customer, start=dt.date(2020, 1, 15), emis_paid_on_time=3)
    return customer, loan


@pytest.mark.django_db(transaction=True)
def test_a_request_sends_no_connection_check(api, monkeypatch):
    customer, _ = customer_with_a_loan()
    connection.ensure_connection()
    checks = []
    wrapper = type(connections["default"])
    original = wrapper.is_usable
    monkeypatch.setattr(wrapper, "is_usable", lambda self: checks.append(1) or original(self))
    for _ in range(3):
        close_old_connections()  # what the WSGI handler runs as each request starts and ends
        assert api.get(f"/view-loans/{customer.pk}").status_code == 200
        close_old_connections()
    assert checks == []


def _terminate_backend(pid: int) -> None:
    settings = connection.settings_dict
    other = psycopg2.connect(
        host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname=settings["NAME"]
    )
    other.autocommit = True
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()


@pytest.mark.django_db(transaction=True)
def test_a_broken_connection_answers_503_json_and_the_next_request_reconnects(api):
    customer, _ = customer_with_a_loan()
    close_old_connections()
    assert api.get(f"/view-loans/{customer.pk}").status_code == 200
    _terminate_backend(connection.connection.info.backend_pid)

    response = api.get(f"/view-loans/{customer.pk}")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert response["Retry-After"]
    close_old_connections()  # the end of that request: the broken connection is closed

    assert api.get(f"/view-loans/{customer.pk}").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_check_eligibility_on_a_broken_connection_answers_503_and_the_next_reconnects(api):
    customer, _ = customer_with_a_loan()
    body = {"customer_id": customer.pk, "loan_amount": 1000, "interest_rate": 14, "tenure": 12}
    close_old_connections()
    assert api.post("/check-eligibility", body, format="json").status_code == 200
    _terminate_backend(connection.connection.info.backend_pid)

    response = api.post("/check-eligibility", body, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    close_old_connections()

    assert api.post("/check-eligibility", body, format="json").status_code == 200


@pytest.mark.django_db
def test_fetch_one_skips_djangos_cursor_wrapper_unless_queries_are_observed(monkeypatch):
    wrapper = type(connections["default"])
    original = wrapper.cursor
    wrapped = []
    monkeypatch.setattr(wrapper, "cursor", lambda self: wrapped.append(1) or original(self))
    decided_at, answer = fetch_one("SELECT now(), %s::int + 1", [41])
    assert answer == 42 and decided_at.tzinfo is not None  # aware, as Django's cursor gives
    assert wrapped == []
    with CaptureQueriesContext(connection) as queries:
        assert fetch_one("SELECT %s::int", [7]) == (7,)
    assert wrapped == [1] and len(queries) == 1


@pytest.mark.django_db
def test_fetch_one_raises_djangos_errors():
    with pytest.raises(ProgrammingError):
        fetch_one("SELECT no_such_column FROM customers", [])


def _prepared_in_session(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = %s",
                       [prepared(sql).name])  # fmt: skip
        return cursor.fetchone()[0]


def test_a_statement_is_prepared_with_numbered_parameters():
    named = prepared("SELECT %(a)s::int + %(b)s::int * %(a)s::int, 'x' LIKE '%%'")
    assert named.text == "SELECT $1::int + $2::int * $3::int, 'x' LIKE '%'"
    assert named.values({"b": 2, "a": 1}) == [1, 2, 1]
    assert named.execute == f"EXECUTE {named.name}(%s, %s, %s)"
    positional = prepared("SELECT %s::int, %s::text;")
    assert positional.text == "SELECT $1::int, $2::text" and positional.values((1, "y")) == (1, "y")
    assert prepared("SELECT 1").execute == f"EXECUTE {prepared('SELECT 1').name}"
    with pytest.raises(ValueError):
        prepared("SELECT %(a)s, %s")


@pytest.mark.django_db(transaction=True)
def test_fetch_one_prepares_a_statement_once_per_connection():
    sql = "SELECT %s::int * 2"
    assert [fetch_one(sql, [n]) for n in (1, 2, 3)] == [(2,), (4,), (6,)]  # (PREPARE twice: 42P05)
    assert _prepared_in_session(sql) == 1
    connection.close()
    with transaction.atomic():  # (where a statement found missing could not be run again)
        assert fetch_one(sql, [5]) == (10,)  # a new session: prepared in it
    assert _prepared_in_session(sql) == 1


@pytest.mark.django_db
def test_fetch_one_sends_the_text_itself_when_prepared_statements_are_off(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    sql = "SELECT %s::int * 3"
    assert fetch_one(sql, [2]) == (6,)
    assert _prepared_in_session(sql) == 0


@pytest.mark.django_db
def test_fetch_one_sends_what_comes_before_in_the_same_query_string():
    answer = fetch_one("SELECT current_setting('synchronous_commit'), %s::int", [1],
                       before="SET LOCAL synchronous_commit = off;")  # fmt: skip
    assert answer == ("off", 1)


@pytest.mark.django_db(transaction=True)
def test_a_statement_the_session_lost_is_prepared_again():
    sql = "SELECT %s::int + 100"
    assert fetch_one(sql, [1]) == (101,)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as DISCARD ALL or a pooler would
    assert fetch_one(sql, [2]) == (102,)  # outside a transaction: prepared again, run again
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    with pytest.raises(OperationalError), transaction.atomic():
        fetch_one(sql, [3])  # inside one: the transaction is lost, the error raised (a 503)
    assert fetch_one(sql, [4]) == (104,)


@pytest.mark.django_db(transaction=True)
def test_fetch_all_returns_every_row_of_a_statement_prepared_once():
    sql = "SELECT n FROM generate_series(1, %s) AS n"
    assert fetch_all(sql, [3]) == [(1,), (2,), (3,)]
    assert fetch_all(sql, [0]) == []
    assert _prepared_in_session(sql) == 1


@pytest.mark.django_db(transaction=True)
def test_the_reads_by_id_send_prepared_statements(api):
    customer, loan = customer_with_a_loan()
    body = {"customer_id": customer.pk, "loan_amount": 1000, "interest_rate": 14, "tenure": 12}
    decision_id = api.post("/check-eligibility", body, format="json").json()["decision_id"]
    close_old_connections()
    assert api.get(f"/view-loan/{loan.pk}").status_code == 200
    assert api.get(f"/view-loans/{customer.pk}").status_code == 200
    assert api.get(f"/view-decision/{decision_id}").status_code == 200
    for query in [*loans.compiled_queries().values(), decisions.decision_query()]:
        assert _prepared_in_session(query.sql) == 1


@pytest.fixture
def fresh_probe():
    health._LastProbe.entry = None
    yield
    health._LastProbe.entry = None


@pytest.mark.django_db
def test_health_reuses_its_probe_for_the_cache_seconds(api, settings, monkeypatch, fresh_probe):
    probes = []
    real = health.broker_is_up
    monkeypatch.setattr(health, "broker_is_up", lambda: probes.append(1) or real())
    settings.HEALTH_CACHE_SECONDS = 60
    for _ in range(3):
        assert api.get("/health").json()["status"] == "ok"
    assert len(probes) == 1
    settings.HEALTH_CACHE_SECONDS = 0
    api.get("/health")
    api.get("/health")
    assert len(probes) == 3


@pytest.mark.django_db
def test_a_changed_dependency_is_probed_anew(api, settings, fresh_probe):
    settings.HEALTH_CACHE_SECONDS = 60
    assert api.get("/health").status_code == 200
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    assert api.get("/health").json()["broker"] == "down"


@pytest.mark.django_db
def test_the_compiled_report_query_reads_what_the_orm_reads(pin_today):
    pin_today(dt.date(2020, 6, 15))
    customer, _ = customer_with_a_loan()
    report = credit_score.get_credit_report(customer.pk)
    row = CustomerCreditScore.objects.filter(pk=customer.pk).select_related("features").get()
    assert report.credit_score == row.credit_score and report.over_limit == row.over_limit
    assert report.components.repayment_points == row.repayment_points
    assert report.features.current_emis == row.features.current_emis
    assert report.features.loans_taken == row.features.loans_taken == 1
    for name in credit_score._COMPONENTS:
        assert getattr(report.components, name) == getattr(row, name), name
    for name in credit_score._FEATURES:
        assert getattr(report.features, name) == getattr(row.features, name), name
    assert credit_score.get_credit_report(customer.pk + 1000) is None


@pytest.mark.django_db
def test_representations_equal_the_serializers_data(pin_today):
    pin_today(dt.date(2020, 6, 15))
    customer, loan = customer_with_a_loan()
    answers = [
        (s.EligibilityResponseSerializer, decisions.check_eligibility(request))
        for request in (
            LoanRequest(customer.pk, Decimal("1000"), Decimal("14.5"), 12),
            LoanRequest(customer.pk, Decimal("9000000"), Decimal("8"), 6),
        )
    ]
    answers.append((s.LoanDetailSerializer, Loan.objects.select_related("customer").get()))
    answers.append((s.StoredDecisionSerializer, decisions.get_decision(answers[1][1].decision_id)))
    for serializer_class, instance in answers:
        assert representation(serializer_class)(instance) == serializer_class(instance).data
    rows = Loan.objects.filter(pk=loan.pk).annotate(repayments_left=Value(3))
    many = representation(s.LoanListItemSerializer, many=True)
    assert many(rows) == s.LoanListItemSerializer(rows, many=True).data


REQUEST_BODIES = [
    (s.LoanRequestSerializer, {"customer_id": 1, "loan_amount": 100, "interest_rate": 9, "tenure": 12}),
    (s.LoanRequestSerializer, {"customer_id": 7, "loan_amount": Decimal("1000.50"),
                               "interest_rate": Decimal("12.5"), "tenure": 600, "extra": True}),
    (s.LoanRequestSerializer, {"customer_id": "1", "loan_amount": 0, "interest_rate": 9}),
    (s.LoanRequestSerializer, {"customer_id": True, "loan_amount": Decimal("1.001"),
                               "interest_rate": Decimal("NaN"), "tenure": 0}),
    (s.LoanRequestSerializer, [1, 2]),
    (s.LoanRequestSerializer, None),
    (s.RegisterRequestSerializer, {"first_name": " Ada ", "last_name": "L", "age": 30,
                                   "monthly_income": 50000, "phone_number": "9876543210"}),
    (s.RegisterRequestSerializer, {"first_name": "\u200b", "last_name": "L", "age": 17,
                                   "monthly_income": 50000, "phone_number": 12}),
    (s.MakePaymentRequestSerializer, {"amount": Decimal("10.5")}),
    (s.MakePaymentRequestSerializer, {"amount": 10, "paid_on": "2020-02-30"}),
    (s.MakePaymentRequestSerializer, {"amount": 10, "paid_on": None}),
]  # fmt: skip


@pytest.mark.parametrize(("serializer_class", "body"), REQUEST_BODIES)
def test_parse_answers_what_is_valid_would(serializer_class, body):
    serializer = serializer_class(data=body)
    if serializer.is_valid():
        assert serializer_class.parse(body) == serializer.validated_data
    else:
        with pytest.raises(drf.ValidationError) as refused:
            serializer_class.parse(body)
        assert refused.value.detail == serializer.errors


def test_parse_refuses_a_serializer_with_rules_it_would_skip():
    class WithValidate(s.RequestSerializer):
        amount = drf.IntegerField()

        def validate(self, attrs):
            return attrs

    with pytest.raises(TypeError, match="validate"):
        WithValidate.parse({"amount": 1})


@pytest.mark.parametrize(
    ("accept", "status"),
    [(None, 200), ("*/*", 200), ("application/json", 200), ("text/html", 406)],
)
def test_content_negotiation_still_answers_406(api, accept, status):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = api.get("/health/live", **headers)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)


def test_the_benchmark_floors_are_not_routed_in_production(api):
    from bench import floor

    for route in floor.PATHS.values():
        path = "/" + route.replace("<int:loan_id>", "1").replace("<int:customer_id>", "1")
        assert resolve(path).func is json_not_found
        assert api.get(path).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/live", "/health", "/health/ready"])
def test_a_probe_answered_directly_is_what_drf_answers(api, path, settings, fresh_probe):
    settings.HEALTH_CACHE_SECONDS = 60
    direct = api.get(path)
    through_drf = api.get(path + "?via=drf")  # a query string goes through the REST framework
    assert direct.status_code == through_drf.status_code == 200
    assert direct.content == through_drf.content
    for header in ("Content-Type", "Allow", "Cache-Control", "X-Frame-Options", "X-Request-ID"):
        assert (header in direct) == (header in through_drf), header
        if header != "X-Request-ID":
            assert direct[header] == through_drf[header], header
    assert api.post(path).status_code == 405
    assert api.post(path).json()["code"] == "method_not_allowed"


def _eligibility_answers(api, body: dict) -> tuple:
    """(direct, through DRF): the same request answered without and with the REST framework
    (a query string sends it through DRF)."""
    return (
        api.post("/check-eligibility", body, format="json"),
        api.post("/check-eligibility?via=drf", body, format="json"),
    )


def _same_answer(direct, through_drf) -> None:
    assert direct.status_code == through_drf.status_code
    first, second = direct.json(), through_drf.json()
    if "decision_id" in first:  # each answer recorded its own decision row
        assert first.pop("decision_id") + 1 == second.pop("decision_id")
        assert direct.content.startswith(b'{"decision_id":')
    assert first == second
    headers = ("Content-Type", "Allow", "Cache-Control", "X-Frame-Options", "Retry-After", "Vary")
    for header in headers:
        assert direct.get(header) == through_drf.get(header), header
    assert direct["X-Request-ID"]


@pytest.mark.django_db
def test_check_eligibility_answered_directly_is_what_drf_answers(api, pin_today, monkeypatch):
    pin_today(dt.date(2020, 6, 15))
    customer, _ = customer_with_a_loan()
    bodies = [
        {"customer_id": customer.pk, "loan_amount": 1000, "interest_rate": 14.5, "tenure": 12},
        {"customer_id": customer.pk, "loan_amount": 9000000, "interest_rate": 8, "tenure": 6},
        {"customer_id": customer.pk, "loan_amount": 900000, "interest_rate": 8, "tenure": 6},
        {"customer_id": customer.pk + 1000, "loan_amount": 1000, "interest_rate": 8, "tenure": 6},
        {"customer_id": customer.pk, "loan_amount": 0.01, "interest_rate": 0, "tenure": 600},
    ]
    statuses = []
    for body in bodies:
        direct, through_drf = _eligibility_answers(api, body)
        _same_answer(direct, through_drf)
        statuses.append(direct.status_code)
    assert statuses == [200, 200, 200, 404, 400]

    def unreachable(*args, **kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(decisions, "check_eligibility", unreachable)
    direct, through_drf = _eligibility_answers(api, bodies[0])
    _same_answer(direct, through_drf)
    assert direct.status_code == 503 and direct["Retry-After"] == "5"


@pytest.mark.django_db
def test_a_body_over_the_limit_answered_directly_is_413_as_through_drf(api, settings):
    """A body the size check before the view lets through (sent chunked, without a length) but
    Django refuses to read: 413, as DRF answers it, on both paths."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = {"customer_id": 1, "loan_amount": 1000, "interest_rate": 8, "tenure": 6}
    direct, through_drf = _eligibility_answers(api, {**body, "note": "x" * 200})
    _same_answer(direct, through_drf)
    assert direct.status_code == 413 and direct.json()["code"] == "payload_too_large"


@pytest.mark.django_db
def test_only_a_plain_valid_json_post_skips_drf(api, settings, monkeypatch):
    customer, _ = customer_with_a_loan()
    body = {"customer_id": customer.pk, "loan_amount": 1000, "interest_rate": 14, "tenure": 12}
    through_drf = []
    original = APIView.dispatch
    monkeypatch.setattr(
        APIView, "dispatch", lambda *a, **k: through_drf.append(1) or original(*a, **k)
    )
    assert api.post("/check-eligibility", body, format="json").status_code == 200
    assert through_drf == []
    refused = [
        api.post("/check-eligibility", {**body, "tenure": "12"}, format="json"),  # invalid
        api.post("/check-eligibility", b"{", content_type="application/json"),  # not JSON
        api.post("/check-eligibility", json.dumps(body), content_type="text/plain"),
        api.post("/check-eligibility", body, format="json", HTTP_ACCEPT="text/html"),
    ]
    assert [r.status_code for r in refused] == [400, 400, 415, 406]
    assert [r.json()["code"] for r in refused] == [
        "invalid", "malformed", "unsupported_media_type", "not_acceptable"
    ]  # fmt: skip
    settings.API_THROTTLE_RATE = "1000/minute"
    assert api.post("/check-eligibility", body, format="json").status_code == 200
    assert len(through_drf) == 5


def _reads_of(api, customer, loan) -> list[str]:
    """The four reads by id, each found and not found (a decision recorded to read first)."""
    body = {"customer_id": customer.pk, "loan_amount": 1000, "interest_rate": 14, "tenure": 12}
    decision_id = api.post("/check-eligibility", body, format="json").json()["decision_id"]
    found = [f"/view-loan/{loan.pk}", f"/view-loans/{customer.pk}",
             f"/credit-score/{customer.pk}", f"/view-decision/{decision_id}"]  # fmt: skip
    missing = [f"/view-loan/{loan.pk + 1000}", f"/view-loans/{customer.pk + 1000}",
               f"/credit-score/{customer.pk + 1000}", f"/view-decision/{decision_id + 1000}"]  # fmt: skip
    return found + missing + [f"/view-loan/{loan.pk}/"]


@pytest.mark.django_db
def test_reads_answered_directly_are_what_drf_answers(api, pin_today, monkeypatch):
    pin_today(dt.date(2020, 6, 15))
    customer, loan = customer_with_a_loan()
    statuses = []
    for path in _reads_of(api, customer, loan):
        direct = api.get(path)
        through_drf = api.get(path + "?via=drf")  # a query string goes through DRF
        assert direct.status_code == through_drf.status_code, path
        assert direct.content == through_drf.content, path
        for header in ("Content-Type", "Allow", "Cache-Control", "Retry-After", "Vary"):
            assert direct.get(header) == through_drf.get(header), (path, header)
        assert direct["X-Request-ID"]
        statuses.append(direct.status_code)
    assert statuses == [200] * 4 + [404] * 4 + [200]

    def unreachable(*args, **kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(loans, "get_loan", unreachable)
    path = f"/view-loan/{loan.pk}"
    direct, through_drf = api.get(path), api.get(path + "?via=drf")
    assert direct.status_code == through_drf.status_code == 503
    assert direct.content == through_drf.content
    assert direct["Retry-After"] == through_drf["Retry-After"] == "5"


@pytest.mark.django_db
def test_only_a_plain_get_by_id_skips_drf(api, settings, monkeypatch):
    customer, loan = customer_with_a_loan()
    paths = [f"/view-loan/{loan.pk}", f"/view-loans/{customer.pk}", f"/credit-score/{customer.pk}"]
    through_drf = []
    original = APIView.dispatch
    monkeypatch.setattr(
        APIView, "dispatch", lambda *a, **k: through_drf.append(1) or original(*a, **k)
    )
    assert [api.get(path).status_code for path in paths] == [200, 200, 200]
    assert through_drf == []
    path = paths[0]
    others = [
        api.get(path, HTTP_ACCEPT="text/html"),
        api.get(path + "?format=json"),
        api.head(path),
        api.options(path),
        api.post(path, {}, format="json"),
    ]
    assert [r.status_code for r in others] == [406, 200, 200, 200, 405]
    settings.API_THROTTLE_RATE = "1000/minute"
    assert api.get(path).status_code == 200
    settings.API_THROTTLE_RATE = ""
    settings.API_KEY_REQUIRED = True
    assert api.get(path).status_code == 403
    assert len(through_drf) == 7


@pytest.mark.django_db
def test_the_admin_still_has_sessions_and_csrf(django_user_model, urls_reloaded):
    from django.test import Client, override_settings

    django_user_model.objects.create_superuser("root", "root@example.com", "s3cret-pass")
    browser = Client(enforce_csrf_checks=True)
    with override_settings(ADMIN_ENABLED=True):
        urls_reloaded()
        assert browser.get("/admin/login/").status_code == 200
        token = browser.cookies["csrftoken"].value
        login = {"username": "root", "password": "s3cret-pass", "next": "/admin/"}
        refused = browser.post("/admin/login/", login)
        assert refused.status_code == 403  # no CSRF token
        done = browser.post("/admin/login/", {**login, "csrfmiddlewaretoken": token})
        assert done.status_code == 302
        assert browser.get("/admin/").status_code == 200  # the session keeps the login


@pytest.mark.django_db
def test_the_compiled_loan_queries_read_what_the_orm_reads(pin_today):
    pin_today(dt.date(2020, 6, 15))
    customer, loan = customer_with_a_loan()
    fields = [f.attname for f in Loan._meta.concrete_fields]
    customer_fields = [f.attname for f in type(customer)._meta.concrete_fields]
    found = loans.get_loan(loan.pk)
    orm = Loan.objects.select_related("customer").get(pk=loan.pk)
    assert [getattr(found, f) for f in fields] == [getattr(orm, f) for f in fields]
    assert [getattr(found.customer, f) for f in customer_fields] == [
        getattr(orm.customer, f) for f in customer_fields
    ]
    [active] = loans.active_loans_of(customer.pk)
    expected = Loan.objects.annotate(left=LoanRepaymentsLeft()).get(pk=loan.pk)
    assert [getattr(active, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert active.repayments_left == expected.left
    Loan.objects.filter(pk=loan.pk).update(is_active=False)
    assert loans.active_loans_of(customer.pk) == []


@pytest.mark.django_db
def test_the_compiled_decision_query_reads_what_the_orm_reads(pin_today):
    pin_today(dt.date(2020, 6, 15))
    customer, _ = customer_with_a_loan()
    outcomes = [
        decisions.check_eligibility(LoanRequest(customer.pk, Decimal(amount), Decimal("8"), 6))
        for amount in ("1000", "900000")  # an approval; a decline with a counter-offer
    ]
    fields = [f.attname for f in LoanDecision._meta.concrete_fields]
    for outcome in outcomes:
        found = decisions.get_decision(outcome.decision_id)
        orm = LoanDecision.objects.get(pk=outcome.decision_id)
        assert [getattr(found, f) for f in fields] == [getattr(orm, f) for f in fields]
        assert isinstance(found.reasons, list)
    assert decisions.get_decision(outcomes[1].decision_id).offer_loan_amount is not None
    with pytest.raises(DecisionNotFound):
        decisions.get_decision(outcomes[1].decision_id + 1000)


def test_a_query_is_compiled_only_with_the_id_once():
    query = Loan.objects.filter(customer_id=ANY_ID, source_loan_id=ANY_ID).query
    with pytest.raises(RuntimeError, match="the id once"):
        compile_query(query)
    with pytest.raises(RuntimeError, match="the id once"):
        compile_query(Loan.objects.filter(tenure=12).query)
