"""The decision log: one row per answered request with the numbers the API answered, written
in the create's transaction, append-only in the database, read back by GET /view-decision,
pruned only by `manage.py prune_decisions`, and summarised in the analysts' views."""

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import F

from core.models import CustomerCreditScore, Loan, LoanDecision
from core.services import decisions, loans
from core.services.eligibility import (
    MAX_EMI_SHARE_OF_SALARY,
    POLICY_VERSION,
    SLABS,
    LoanRequest,
    Slab,
)
from tests.conftest import connect_separately, make_customer, make_loan

pytestmark = pytest.mark.django_db


def post(api, path, body, **headers):
    return api.post(path, data=json.dumps(body), content_type="application/json", **headers)


def body_for(customer, **change) -> dict:
    return {
        "customer_id": customer.pk,
        "loan_amount": 500000,
        "interest_rate": 10.5,
        "tenure": 24,
        **change,
    }


def offer_of(row: LoanDecision):
    """The stored offer in the API's shape (as JSON numbers)."""
    return json.loads(json.dumps(decisions.stored_offer(row), default=_plain))


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    return value.__dict__


def views_of(customer) -> CustomerCreditScore:
    return CustomerCreditScore.objects.select_related("features").get(pk=customer.pk)


def assert_row_matches_the_answer(
    row: LoanDecision, body: dict, kind: str, view: CustomerCreditScore | None = None
) -> None:
    """Every number the API answered is the one stored; the score's parts and the rule inputs
    are the views' numbers when it was decided (`view`, read before the request; by default
    read now, for requests that changed nothing)."""
    assert row.kind == kind
    assert row.decision_id == body["decision_id"]
    assert row.customer_id == body["customer_id"]
    assert row.credit_score == body["credit_score"]
    assert float(row.monthly_installment) == body["monthly_installment"]
    assert row.reasons == body["reasons"]
    assert row.message == body["message"]
    assert offer_of(row) == body["offer"]
    assert row.policy_version == POLICY_VERSION
    if kind == "check":
        assert row.approved is body["approval"]
        assert float(row.interest_rate) == body["interest_rate"]
        assert float(row.corrected_interest_rate) == body["corrected_interest_rate"]
        assert row.tenure == body["tenure"]
    else:
        assert row.approved is body["loan_approved"]
        assert float(row.corrected_interest_rate) == body["interest_rate"]
        assert row.loan_id == body["loan_id"]
    view = view or CustomerCreditScore.objects.select_related("features").get(pk=row.customer_id)
    assert (
        row.repayment_points,
        row.history_points,
        row.activity_points,
        row.volume_points,
    ) == (view.repayment_points, view.history_points, view.activity_points, view.volume_points)
    assert (row.current_emis, row.current_debt) == (
        view.features.current_emis,
        view.features.current_debt,
    )
    assert (row.monthly_salary, row.approved_limit) == (
        view.features.monthly_salary,
        view.features.approved_limit,
    )


# --- one row per answered request ---------------------------------------------------------------


def test_an_approved_check_writes_one_row(api):
    customer = make_customer(monthly_salary=Decimal("62500"), approved_limit=Decimal("2300000"))
    response = post(api, "/check-eligibility", body_for(customer), HTTP_X_REQUEST_ID="req-1")
    assert response.status_code == 200
    body = response.json()
    assert body["approval"] is True and body["offer"] is None
    row = LoanDecision.objects.get()
    assert_row_matches_the_answer(row, body, "check")
    assert (row.slab, row.loan_id, row.request_id, row.api_key_name) == (
        "above 50",
        None,
        "req-1",
        None,
    )
    assert (row.loan_amount, row.interest_rate, row.tenure) == (Decimal("500000"), 10.5, 24)
    assert Loan.objects.count() == 0


def test_a_declined_check_writes_one_row_with_its_offer(api):
    customer = make_customer(monthly_salary=Decimal("62500"), approved_limit=Decimal("2300000"))
    response = post(api, "/check-eligibility", body_for(customer, loan_amount=1500000))
    body = response.json()
    assert body["approval"] is False
    assert [r["rule"] for r in body["reasons"]] == ["affordability"]
    offer = body["offer"]
    assert offer["interest_rate"] == 10.5
    assert offer["largest_amount"]["tenure"] == 24
    assert offer["shortest_tenure"]["loan_amount"] == 1500000
    assert "Counter-offer at 10.5%" in body["message"]
    row = LoanDecision.objects.get()
    assert_row_matches_the_answer(row, body, "check")
    assert row.request_id == response["X-Request-ID"]  # the id the middleware made


def test_an_approved_create_writes_one_row_naming_its_loan(api, pin_today):
    pin_today(dt.date(2025, 1, 31))
    customer = make_customer(monthly_salary=Decimal("100000"), approved_limit=Decimal("2300000"))
    make_loan(
        customer, start=dt.date(2024, 6, 1), loan_amount=Decimal("50000"), emis_paid_on_time=7
    )
    before = views_of(customer)
    response = post(api, "/create-loan", body_for(customer))
    assert response.status_code == 201
    body = response.json()
    row = LoanDecision.objects.get()
    assert_row_matches_the_answer(row, body, "create", before)
    assert views_of(customer).history_points != row.history_points  # the new loan counts now
    assert Loan.objects.filter(pk=row.loan_id, customer=customer).exists()
    # The inputs as they were before this loan.
    assert (row.current_debt, row.current_emis) == (Decimal("50000"), Decimal("8791.59"))


def test_a_declined_create_writes_one_row_and_no_loan(api):
    customer = make_customer(monthly_salary=Decimal("10000"), approved_limit=Decimal("100000"))
    response = post(api, "/create-loan", body_for(customer))
    assert response.status_code == 200
    body = response.json()
    assert {r["rule"] for r in body["reasons"]} == {"affordability", "credit_limit"}
    assert body["offer"]["largest_amount"]["loan_amount"] <= 100000
    assert body["offer"]["shortest_tenure"] is None  # over the limit at any tenure
    row = LoanDecision.objects.get()
    assert_row_matches_the_answer(row, body, "create")
    assert row.loan_id is None and Loan.objects.count() == 0


def test_a_decline_without_an_offer_says_why(api):
    customer = make_customer(monthly_salary=Decimal("20000"), approved_limit=Decimal("3600000"))
    make_loan(customer, start=dt.date(2024, 6, 1), monthly_installment=Decimal("10000"))
    body = post(api, "/check-eligibility", body_for(customer)).json()
    assert body["offer"] is None
    assert "No counter-offer: current EMIs 10,000.00 alone already take half" in body["message"]
    row = LoanDecision.objects.get()
    assert row.offer_interest_rate is None and row.message == body["message"]


def test_api_key_name_is_recorded_when_keys_are_required(api, settings):
    from core.services.api_keys import create_key

    settings.API_KEY_REQUIRED = True
    _, key = create_key("partner-app")
    customer = make_customer()
    header = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    check = post(api, "/check-eligibility", body_for(customer), **header).json()
    create = post(api, "/create-loan", body_for(customer), **header).json()
    names = dict(LoanDecision.objects.values_list("decision_id", "api_key_name"))
    assert names == {check["decision_id"]: "partner-app", create["decision_id"]: "partner-app"}


@pytest.mark.parametrize("path", ["/check-eligibility", "/create-loan"])
@pytest.mark.parametrize(
    "change",
    [{"tenure": 0}, {"loan_amount": "1"}, {"customer_id": 424242}, {"interest_rate": 100.5}],
    ids=["tenure", "amount", "unknown customer", "rate"],
)
def test_refused_requests_write_nothing(api, path, change):
    customer = make_customer()
    response = post(api, path, body_for(customer, **change))
    assert response.status_code in (400, 404)
    assert LoanDecision.objects.count() == 0


def test_malformed_and_non_json_bodies_write_nothing(api):
    make_customer()
    api.post("/check-eligibility", data="{", content_type="application/json")
    api.post("/create-loan", data="x=1", content_type="application/x-www-form-urlencoded")
    assert LoanDecision.objects.count() == 0


# --- the create's transaction ------------------------------------------------------------------


def test_a_failed_decision_write_rolls_the_loan_back(monkeypatch):
    customer = make_customer()
    # A blank policy version: the database refuses the decision row (a named CHECK), after
    # the loan was inserted.
    monkeypatch.setattr(decisions, "POLICY_VERSION", " ")
    request = LoanRequest(customer.pk, Decimal("100000"), Decimal("12"), 12)
    with pytest.raises(DatabaseError, match="loan_decisions_policy_version_not_blank"):
        loans.create_loan(request)
    assert Loan.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("table", ["loans", "loan_decisions"])
def test_a_create_that_rolls_back_at_commit_leaves_no_decision(table):
    customer = make_customer()
    # A deferred constraint trigger that fails the create's COMMIT, after both rows were
    # written (on either table, so that neither row may commit apart from the other): a
    # rolled-back create must leave neither.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$;"
            f" CREATE CONSTRAINT TRIGGER test_fail_at_commit AFTER INSERT ON {table}"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_fail_at_commit();"
        )
    try:
        request = LoanRequest(customer.pk, Decimal("100000"), Decimal("12"), 12)
        with pytest.raises(DatabaseError, match="refused at commit"):
            loans.create_loan(request)
        assert Loan.objects.count() == 0
        assert LoanDecision.objects.count() == 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DROP TRIGGER test_fail_at_commit ON {table}; DROP FUNCTION test_fail_at_commit();"
            )


def test_create_loan_runs_inside_an_outer_transaction():
    """A caller's outer transaction (e.g. an idempotency wrapper) decides for both rows."""
    customer = make_customer()
    request = LoanRequest(customer.pk, Decimal("100000"), Decimal("12"), 12)
    with pytest.raises(RuntimeError), transaction.atomic():
        outcome = loans.create_loan(request)
        assert LoanDecision.objects.filter(pk=outcome.decision_id, loan_id=outcome.loan_id)
        raise RuntimeError("the caller gives up")
    assert (Loan.objects.count(), LoanDecision.objects.count()) == (0, 0)


# --- append-only --------------------------------------------------------------------------------


@pytest.fixture
def stored(api) -> LoanDecision:
    customer = make_customer()
    post(api, "/check-eligibility", body_for(customer))
    return LoanDecision.objects.get()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE loan_decisions SET approved = NOT approved",
        "UPDATE loan_decisions SET message = 'x' WHERE false",  # refused even for no row
        "DELETE FROM loan_decisions",
        "TRUNCATE loan_decisions",
    ],
)
def test_sql_update_delete_truncate_are_refused(stored, sql):
    operation = sql.split()[0]
    refused = pytest.raises(DatabaseError, match=f"loan_decisions is append-only: {operation}")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert LoanDecision.objects.filter(pk=stored.pk, message=stored.message).exists()


@pytest.mark.parametrize(
    "attempt",
    [
        lambda row: LoanDecision.objects.filter(pk=row.pk).update(approved=F("approved")),
        lambda row: LoanDecision.objects.all().delete(),
        lambda row: row.delete(),
        lambda row: row.save(),  # an UPDATE of an existing row
        lambda row: LoanDecision.objects.filter(pk=row.pk).update(policy_version="forged"),
    ],
    ids=["queryset update", "queryset delete", "instance delete", "instance save", "forge"],
)
def test_orm_writes_are_refused_by_the_database(stored, attempt):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        attempt(stored)
    assert LoanDecision.objects.get(pk=stored.pk).policy_version == POLICY_VERSION


def test_another_session_is_refused_too(stored):
    conn = connect_separately()
    try:
        with conn.cursor() as cursor, pytest.raises(Exception, match="append-only"):
            cursor.execute("DELETE FROM loan_decisions")
    finally:
        conn.close()


def test_deleting_a_decided_customer_is_refused(stored):
    refused = pytest.raises(DatabaseError, match="loan_decisions_customer_id_fkey")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers WHERE customer_id = %s", [stored.customer_id])


# --- retention ----------------------------------------------------------------------------------


def backdated(customer, days: int) -> LoanDecision:
    """A decision row made `days` days ago (inserting is allowed; only changing is refused)."""
    decision = decisions.evaluate(LoanRequest(customer.pk, Decimal("1000"), Decimal("20"), 6))
    outcome = decisions.record("check", decision)
    row = LoanDecision.objects.get(pk=outcome.decision_id)
    with pytest.raises(DatabaseError), transaction.atomic():
        LoanDecision.objects.filter(pk=row.pk).update(decided_at=row.decided_at)
    fields = {f.attname: getattr(row, f.attname) for f in LoanDecision._meta.concrete_fields}
    fields.pop("decision_id")
    fields["decided_at"] = row.decided_at - dt.timedelta(days=days)
    return LoanDecision.objects.create(**fields)


def test_prune_deletes_only_decisions_older_than_the_given_days(capsys):
    customer = make_customer()
    old, recent = backdated(customer, 400), backdated(customer, 20)
    call_command("prune_decisions", "--older-than", "365", "--dry-run")
    assert "1 decisions older than 365 days would be deleted" in capsys.readouterr().out
    assert LoanDecision.objects.filter(pk=old.pk).exists()
    call_command("prune_decisions", "--older-than", "365")
    assert "1 decisions older than 365 days deleted" in capsys.readouterr().out
    assert set(LoanDecision.objects.values_list("pk", flat=True)) >= {recent.pk}
    assert not LoanDecision.objects.filter(pk=old.pk).exists()
    # The guard is back in force after the command.
    with pytest.raises(DatabaseError), transaction.atomic():
        LoanDecision.objects.all().delete()


@pytest.mark.parametrize("args", [[], ["--older-than", "0"], ["--older-than", "-5"]])
def test_prune_without_a_valid_age_prunes_nothing(args):
    backdated(make_customer(), 4000)
    with pytest.raises(CommandError):
        call_command("prune_decisions", *args)
    assert LoanDecision.objects.count() == 2


# --- GET /view-decision -------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/"])
def test_view_decision_returns_the_stored_row(api, suffix):
    customer = make_customer(monthly_salary=Decimal("62500"), approved_limit=Decimal("2300000"))
    answer = post(api, "/create-loan", body_for(customer, loan_amount=1500000)).json()
    response = api.get(f"/view-decision/{answer['decision_id']}{suffix}")
    assert response.status_code == 200
    stored = response.json()
    row = LoanDecision.objects.get()
    assert stored["decision_id"] == row.decision_id and stored["kind"] == "create"
    assert dt.datetime.fromisoformat(stored["decided_at"]) == row.decided_at
    for field in ("reasons", "message", "offer", "loan_id", "credit_score", "monthly_installment"):
        assert stored[field] == answer[field], field
    assert stored["approved"] is answer["loan_approved"]
    assert stored["slab"] == "above 50" and stored["policy_version"] == POLICY_VERSION
    assert stored["request_id"] == row.request_id and stored["api_key_name"] is None
    for field in ("repayment_points", "history_points", "activity_points", "volume_points"):
        assert Decimal(str(stored[field])) == getattr(row, field)
    assert (stored["loan_amount"], stored["interest_rate"], stored["tenure"]) == (
        1500000,
        10.5,
        24,
    )
    assert (stored["current_emis"], stored["monthly_salary"], stored["current_debt"]) == (
        0,
        62500,
        0,
    )
    assert stored["approved_limit"] == 2300000


def test_view_decision_unknown_is_404(api):
    for path in ("/view-decision/1", "/view-decision/9223372036854775807"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert api.get("/view-decision/abc").status_code == 404


# --- the policy version -------------------------------------------------------------------------


# Each policy version and the rules it stands for. A changed rule must get a new name: add it
# here with the rules it stands for (old rows keep naming the old ones).
POLICIES = {
    "features-v2.scores-v2.slabs-v1.emi-share-50": {
        "score_view": "a9dcab4a79",
        "slabs": (
            Slab(51, "above 50", Decimal("0")),
            Slab(30, "30-50", Decimal("12")),
            Slab(10, "10-29", Decimal("16")),
            Slab(-1, "below 10", None),
        ),
        "emi_share": Decimal("0.5"),
    },
}


def test_policy_version_names_the_rules_in_force():
    # The score as the database computes it: both views' definitions as PostgreSQL prints them.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_viewdef('customer_credit_features'::regclass)"
            " || pg_get_viewdef('customer_credit_scores'::regclass)"
        )
        definition = cursor.fetchone()[0].encode()
    rules = POLICIES[POLICY_VERSION]
    assert hashlib.sha256(definition).hexdigest()[:10] == rules["score_view"], (
        "the score views changed: bump POLICY_VERSION"
    )
    assert rules["slabs"] == SLABS, "the slab table changed: bump POLICY_VERSION"
    assert rules["emi_share"] == MAX_EMI_SHARE_OF_SALARY, "the 50 % rule changed: bump it"


# --- OpenAPI ------------------------------------------------------------------------------------


def test_openapi_lists_the_new_paths_and_fields(api):
    schema = json.loads(api.get("/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    assert {"/view-decision/{decision_id}", "/credit-score/{customer_id}"} <= set(schema["paths"])
    components = schema["components"]["schemas"]
    for name in ("EligibilityResponse", "CreateLoanResponse"):
        assert {"decision_id", "offer"} <= set(components[name]["properties"]), name
    assert set(components["Offer"]["properties"]) == {
        "interest_rate",
        "largest_amount",
        "shortest_tenure",
    }
    stored = set(components["StoredDecision"]["properties"])
    assert {f.name for f in LoanDecision._meta.concrete_fields} - stored == {
        "customer",
        "offer_interest_rate",
        "offer_loan_amount",
        "offer_monthly_installment",
        "offer_tenure",
        "offer_tenure_monthly_installment",
    }  # the customer as customer_id, the offer columns as one offer object
    assert {"customer_id", "offer"} <= stored
    score = components["CreditScore"]["properties"]
    assert set(score) == {
        "customer_id",
        "credit_score",
        "over_limit",
        "components",
        "features",
        "slab",
    }


def test_the_table_every_column_and_every_constraint_are_described():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT obj_description('loan_decisions'::regclass, 'pg_class'),"
            " array_agg(a.attname) FILTER (WHERE col_description(a.attrelid, a.attnum) IS NULL)"
            " FROM pg_attribute a WHERE a.attrelid = 'loan_decisions'::regclass"
            " AND a.attnum > 0 AND NOT a.attisdropped"
        )
        table_comment, uncommented = cursor.fetchone()
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'loan_decisions'::regclass"
        )
        constraints = {name for (name,) in cursor.fetchall()}
    assert table_comment and uncommented is None
    assert {
        "loan_decisions_pkey",
        "loan_decisions_customer_id_fkey",
        "loan_decisions_reasons_array",
        "loan_decisions_approved_iff_no_reasons",
        "loan_decisions_loan_iff_approved_create",
        "loan_decisions_offer_only_on_decline",
        "loan_decisions_loan_id_unique",
    } <= constraints
    assert all(name.startswith("loan_decisions_") for name in constraints)


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"approved": True}, "loan_decisions_approved_iff_no_reasons"),
        ({"reasons": {"rule": "x"}}, "loan_decisions_reasons_array"),
        ({"loan_id": 1}, "loan_decisions_loan_iff_approved_create"),
        ({"offer_interest_rate": Decimal("99")}, "loan_decisions_offer_only_on_decline"),
        ({"offer_tenure": 700, "offer_tenure_monthly_installment": 1},
         "loan_decisions_offer_tenure_valid"),
        ({"offer_loan_amount": Decimal("600000")}, "loan_decisions_offer_amount_valid"),
        ({"credit_score": 101}, "loan_decisions_credit_score_range"),
        ({"policy_version": " "}, "loan_decisions_policy_version_not_blank"),
    ],
)  # fmt: skip
def test_inconsistent_rows_are_refused(api, change, constraint):
    customer = make_customer(monthly_salary=Decimal("10000"))
    post(api, "/check-eligibility", body_for(customer))  # declined with an offer
    row = LoanDecision.objects.get()
    fields = {f.attname: getattr(row, f.attname) for f in LoanDecision._meta.concrete_fields}
    fields.pop("decision_id")
    with pytest.raises(DatabaseError, match=constraint), transaction.atomic():
        LoanDecision.objects.create(**{**fields, **change})


@pytest.mark.django_db(transaction=True)
def test_check_rows_commit_asynchronously_and_creates_never_do(api):
    from django.test.utils import CaptureQueriesContext

    def asynchronous(queries) -> bool:
        return any("synchronous_commit = off" in q["sql"] for q in queries)

    customer = make_customer()
    with CaptureQueriesContext(connection) as check:
        post(api, "/check-eligibility", body_for(customer))
    with CaptureQueriesContext(connection) as create:
        post(api, "/create-loan", body_for(customer))
    assert asynchronous(check.captured_queries)
    assert not asynchronous(create.captured_queries)
    assert LoanDecision.objects.count() == 2
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"  # SET LOCAL: the session keeps its setting
