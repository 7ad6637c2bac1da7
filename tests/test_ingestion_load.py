"""Ingestion, the load (README, "Ingestion"): the real files load exactly; later files update,
keep and remap ids as documented; runs are serialized and set-based."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from core.models import Customer, IngestionRun, Loan
from core.services.maintenance import current_debt_drift
from tests.conftest import connect_separately
from tests.ingestion_support import (
    REAL_CUSTOMERS,
    REAL_LOANS,
    at,
    credit_today,
    database_state,
    ingest,
    money,
    needs_real_files,
    sequences,
    sheet_rows,
    variant,
    workbooks,
)

pytestmark = pytest.mark.django_db(transaction=True)


# --- the real files --------------------------------------------------------------------------


@needs_real_files
def test_real_files_load_exactly(api):
    result = ingest()

    assert (result.customers_inserted, result.loans_inserted) == (300, 782)
    assert (result.rows_updated, result.ids_remapped, result.rows_read) == (0, 29, 1082)
    assert Customer.objects.count() == 300 and Loan.objects.count() == 782
    assert Loan.objects.filter(loan_id=F("source_loan_id")).count() == 753

    # Every customer exactly as the file has it (approved limits kept as given).
    for cid, first, last, age, phone, salary, limit in sheet_rows(REAL_CUSTOMERS):
        customer = Customer.objects.get(pk=cid)
        assert (customer.first_name, customer.last_name, customer.age) == (first, last, age)
        assert customer.phone_number == str(phone)
        assert customer.monthly_salary == money(salary)
        assert customer.approved_limit == money(limit)

    # Every loan; the first row in file order keeps a repeated Loan ID, later rows are
    # remapped to fresh ids given in file order, past every id kept.
    today = credit_today()
    seen: set[int] = set()
    remapped: list[int] = []
    for cid, lid, amount, tenure, rate, payment, on_time, start, end in sheet_rows(REAL_LOANS):
        loan = Loan.objects.get(customer_id=cid, source_loan_id=lid)
        assert loan.loan_amount == money(amount)
        assert loan.interest_rate == money(rate)
        assert loan.monthly_installment == money(payment)
        assert (loan.tenure, loan.emis_paid_on_time) == (tenure, on_time)
        assert (loan.start_date, loan.end_date) == (start.date(), end.date())
        assert loan.is_active == (loan.end_date > today)
        if lid in seen:
            remapped.append(loan.loan_id)
        else:
            assert loan.loan_id == lid
            seen.add(lid)
    assert len(remapped) == 29
    assert remapped == list(range(remapped[0], remapped[0] + 29))
    assert remapped[0] > max(seen)

    # Spot rows, checked by hand against the workbook.
    aaron = Customer.objects.get(pk=1)
    assert (aaron.first_name, aaron.last_name, aaron.phone_number) == (
        "Aaron",
        "Garcia",
        "9629317944",
    )
    assert (aaron.age, aaron.monthly_salary, aaron.approved_limit) == (
        63,
        Decimal("50000.00"),
        Decimal("4500000.00"),
    )
    first_loan = Loan.objects.get(loan_id=5930)
    assert (first_loan.customer_id, first_loan.source_loan_id, first_loan.tenure) == (14, 5930, 129)
    assert first_loan.interest_rate == Decimal("8.20")
    assert first_loan.monthly_installment == Decimal("15344.00")
    assert (first_loan.start_date, first_loan.end_date) == (
        dt.date(2017, 3, 9),
        dt.date(2027, 12, 9),
    )

    assert current_debt_drift() == 0
    run = IngestionRun.objects.get(pk=result.run_id)
    assert (run.status, run.rows_read, run.rows_inserted, run.rows_updated, run.ids_remapped) == (
        "succeeded",
        1082,
        1082,
        0,
        29,
    )
    assert run.started_at <= run.finished_at and run.error_report is None

    # Sequences past every loaded id: the API's next ids never collide.
    seq = sequences()
    assert seq["customers_customer_id_seq"] >= 300
    assert seq["loans_loan_id_seq"] >= Loan.objects.order_by("-loan_id").first().loan_id
    registered = api.post(
        "/register",
        {
            "first_name": "New",
            "last_name": "Comer",
            "age": 30,
            "monthly_income": 100000,
            "phone_number": 9000000001,
        },
        format="json",
    )
    assert registered.status_code == 201, registered.content
    new_id = registered.json()["customer_id"]
    assert new_id > 300
    created = api.post(
        "/create-loan",
        {"customer_id": new_id, "loan_amount": 100000, "interest_rate": 12, "tenure": 12},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["loan_id"] > remapped[-1]
    assert current_debt_drift() == 0


@needs_real_files
def test_second_run_changes_nothing():
    ingest()
    before = database_state()
    result = ingest()
    assert (result.rows_inserted, result.rows_updated, result.ids_remapped) == (0, 0, 0)
    assert result.rows_read == 1082
    assert database_state() == before


@needs_real_files
def test_rows_missing_from_a_later_file_are_kept(tmp_path):
    ingest()
    before = database_state()
    customers = variant(REAL_CUSTOMERS, tmp_path / "c.xlsx", lambda s: s.delete_rows(200, 102))
    loans = variant(REAL_LOANS, tmp_path / "l.xlsx", lambda s: s.delete_rows(2, 500))
    result = ingest(customers, loans)
    assert (result.rows_read, result.rows_inserted, result.rows_updated) == (198 + 282, 0, 0)
    assert database_state() == before


@needs_real_files
def test_changed_values_are_updated_and_counted(tmp_path):
    ingest()
    customers = variant(REAL_CUSTOMERS, tmp_path / "c.xlsx", lambda s: s.__setitem__("G3", 1500000))
    loans = variant(REAL_LOANS, tmp_path / "l.xlsx", lambda s: s.__setitem__("C2", 950000))
    ids_before = list(
        Loan.objects.order_by("pk").values_list("pk", "customer_id", "source_loan_id")
    )

    result = ingest(customers, loans)

    assert (result.customers_updated, result.loans_updated, result.rows_inserted) == (1, 1, 0)
    assert Customer.objects.get(pk=2).approved_limit == Decimal("1500000.00")
    assert Loan.objects.get(pk=5930).loan_amount == Decimal("950000.00")
    assert (
        list(Loan.objects.order_by("pk").values_list("pk", "customer_id", "source_loan_id"))
        == ids_before
    )
    assert current_debt_drift() == 0


# A customer and a loan, then one column changed at a time in a later file.
CUSTOMER = [7001, "Meera", "Iyer", 41, 9812345670, 64000, 2300000]
LOAN = [7001, 61, 250000, 24, 11.5, 11710, 7, at("2024-03-10"), at("2026-03-10")]
CUSTOMER_CHANGES = {
    "first name": (1, "Meena", "first_name", "Meena"),
    "last name": (2, "Iyengar", "last_name", "Iyengar"),
    "age": (3, 42, "age", 42),
    "monthly salary": (5, 64000.5, "monthly_salary", Decimal("64000.50")),
    "approved limit": (6, 2400000, "approved_limit", Decimal("2400000.00")),
}
LOAN_CHANGES = {
    "loan amount": ({2: 260000}, {"loan_amount": Decimal("260000.00")}),
    "tenure": ({3: 36, 8: at("2027-03-10")}, {"tenure": 36, "end_date": dt.date(2027, 3, 10)}),
    "interest rate": ({4: 11.25}, {"interest_rate": Decimal("11.25")}),
    "monthly payment": ({5: 11650}, {"monthly_installment": Decimal("11650.00")}),
    "EMIs paid on Time": ({6: 8}, {"emis_paid_on_time": 8}),
    "dates": (
        {7: at("2024-04-10"), 8: at("2026-04-10")},
        {"start_date": dt.date(2024, 4, 10), "end_date": dt.date(2026, 4, 10)},
    ),
}


@pytest.mark.parametrize("change", CUSTOMER_CHANGES)
def test_a_change_to_any_customer_column_is_stored_and_counted(tmp_path, change):
    ingest(*workbooks(tmp_path / "first", [CUSTOMER], [LOAN]))
    index, value, field, stored = CUSTOMER_CHANGES[change]
    changed = [*CUSTOMER]
    changed[index] = value

    result = ingest(*workbooks(tmp_path / "later", [changed], [LOAN]))

    assert (result.customers_updated, result.loans_updated, result.rows_inserted) == (1, 0, 0)
    assert result.rows_updated == result.as_dict()["rows_updated"] == 1
    assert getattr(Customer.objects.get(pk=7001), field) == stored
    assert ingest(*workbooks(tmp_path / "again", [changed], [LOAN])).rows_updated == 0


@pytest.mark.parametrize("change", LOAN_CHANGES)
def test_a_change_to_any_loan_column_is_stored_and_counted(tmp_path, change):
    ingest(*workbooks(tmp_path / "first", [CUSTOMER], [LOAN]))
    loan_id = Loan.objects.get().pk
    cells, stored = LOAN_CHANGES[change]
    changed = [cells.get(index, value) for index, value in enumerate(LOAN)]

    result = ingest(*workbooks(tmp_path / "later", [CUSTOMER], [changed]))

    assert (result.customers_updated, result.loans_updated, result.rows_inserted) == (0, 1, 0)
    assert result.rows_updated == 1
    loan = Loan.objects.get()
    assert loan.pk == loan_id
    assert {field: getattr(loan, field) for field in stored} == stored
    assert ingest(*workbooks(tmp_path / "again", [CUSTOMER], [changed])).rows_updated == 0
    assert current_debt_drift() == 0


def test_a_loan_whose_end_date_is_today_is_inactive(tmp_path, session_today):
    # Its last installment fell due today: the loan is closed, like the maturity sweep does.
    session_today(dt.date(2025, 6, 15))
    loans = [
        [7001, 1, 1000, 12, 10, 88, 12, at("2024-06-14"), at("2025-06-14")],  # ended yesterday
        [7001, 2, 2000, 12, 10, 176, 12, at("2024-06-15"), at("2025-06-15")],  # ends today
        [7001, 3, 4000, 12, 10, 352, 11, at("2024-06-16"), at("2025-06-16")],  # tomorrow
    ]
    ingest(*workbooks(tmp_path / "first", [CUSTOMER], loans))
    active = dict(Loan.objects.values_list("source_loan_id", "is_active"))
    assert active == {1: False, 2: False, 3: True}
    assert Customer.objects.get(pk=7001).current_debt == Decimal("4000.00")

    # A later file moves loan 3 one day earlier: it now ends today and is closed on update.
    loans[2][7:] = [at("2024-06-15"), at("2025-06-15")]
    assert ingest(*workbooks(tmp_path / "later", [CUSTOMER], loans)).loans_updated == 1
    assert not Loan.objects.get(source_loan_id=3).is_active
    assert Customer.objects.get(pk=7001).current_debt == 0
    assert current_debt_drift() == 0


def test_runs_are_serialized_by_the_advisory_lock():
    holder = connect_separately()
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(ingest())
        finally:
            connection.close()

    try:
        with holder.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock('ingestion_runs'::regclass::oid::integer, 0)"
            )
        worker = threading.Thread(target=run)
        worker.start()
        time.sleep(1.5)
        assert worker.is_alive() and not outcome  # waiting for the lock
        assert Customer.objects.count() == 0
        holder.commit()  # releases the lock
        worker.join(timeout=60)
    finally:
        holder.close()
    assert outcome and outcome[0].loans_inserted == 782


@needs_real_files
def test_no_per_row_statements():
    with CaptureQueriesContext(connection) as queries:
        ingest()
    assert len(queries) < 40, [q["sql"][:80] for q in queries]


# --- ids already taken, phones already used, unreadable files ----------------------------------


@needs_real_files
def test_a_file_loan_id_taken_by_an_api_loan_is_remapped():
    from tests.conftest import make_customer, make_loan

    borrower = make_customer(customer_id=5000)
    make_loan(borrower, start=dt.date(2024, 1, 15), loan_id=5930)  # the id of file row 2

    result = ingest()

    assert result.ids_remapped == 30
    moved = Loan.objects.get(customer_id=14, source_loan_id=5930)
    kept = Loan.objects.filter(loan_id=F("source_loan_id")).values_list("loan_id", flat=True)
    assert moved.loan_id > max(kept)
    assert moved.loan_id != 5930 and Loan.objects.get(pk=5930).customer_id == 5000
    assert sequences()["customers_customer_id_seq"] >= 5000
    assert current_debt_drift() == 0


def test_fresh_loan_ids_are_past_the_sequence_not_only_past_the_loans(tmp_path):
    # The API has handed out loan ids that no loan holds any more (a deleted loan, ids taken
    # by transactions that rolled back): the sequence is past max(loan_id). A fresh id given
    # to a file's loan must never be one the sequence has already handed out.
    from tests.conftest import make_customer, make_loan

    borrower = make_customer(customer_id=7000)
    taken = make_loan(borrower, start=dt.date(2024, 1, 15), loan_id=5000, source_loan_id=5000).pk
    make_loan(borrower, start=dt.date(2024, 1, 15)).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('loans', 'loan_id')) FROM generate_series(1, 5)"
        )
    handed_out = sequences()["loans_loan_id_seq"]
    assert handed_out > Loan.objects.order_by("-pk").first().pk == taken

    # The file's Loan ID is held by another customer's loan, so the file's loan gets a fresh id.
    loans = [[7001, taken, 1000, 12, 10, 88, 0, at("2024-01-10"), at("2025-01-10")]]
    result = ingest(*workbooks(tmp_path, [CUSTOMER], loans))

    assert result.ids_remapped == 1
    fresh = Loan.objects.get(customer_id=7001, source_loan_id=taken).pk
    assert fresh > handed_out
    assert sequences()["loans_loan_id_seq"] >= fresh  # the API's next id comes after it
    assert make_loan(borrower, start=dt.date(2024, 1, 15)).pk > fresh
    assert current_debt_drift() == 0


# --- loads over loans already loaded --------------------------------------------------------

CATALOG_OF_LOANS = """
SELECT 'constraint', conname::text, pg_get_constraintdef(oid), obj_description(oid, 'pg_constraint')
  FROM pg_constraint
 WHERE conrelid IN ('loans'::regclass, 'customers'::regclass) OR confrelid = 'loans'::regclass
UNION ALL
SELECT 'index', indexrelid::regclass::text, pg_get_indexdef(indexrelid),
       obj_description(indexrelid, 'pg_class')
  FROM pg_index WHERE indrelid IN ('loans'::regclass, 'customers'::regclass)
UNION ALL
SELECT 'trigger', tgname::text, pg_get_triggerdef(oid), NULL
  FROM pg_trigger WHERE tgrelid IN ('loans'::regclass, 'customers'::regclass) AND NOT tgisinternal
ORDER BY 1, 2
"""


def catalog_of_loans() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(CATALOG_OF_LOANS)
        return cursor.fetchall()


@needs_real_files
def test_a_load_that_updates_and_doubles_loans_keeps_ids_keys_and_debts(tmp_path):
    """First the first 300 loans, then the whole file with one value changed: 1 update and 482
    inserts; loaded pairs keep their ids, the keys stay, debts agree."""
    first = variant(REAL_LOANS, tmp_path / "first.xlsx", lambda s: s.delete_rows(302, 1000))
    ingest(loans=first)
    assert Loan.objects.count() == 300
    catalog = catalog_of_loans()
    ids_before = dict(Loan.objects.values_list("pk", "source_loan_id"))
    changed = variant(REAL_LOANS, tmp_path / "all.xlsx", lambda s: s.__setitem__("C2", 950000))

    result = ingest(loans=changed)

    assert (result.loans_updated, result.loans_inserted) == (1, 482)
    assert Loan.objects.count() == 782
    assert Loan.objects.get(customer_id=14, source_loan_id=5930).loan_amount == Decimal("950000")
    kept = dict(Loan.objects.filter(pk__in=ids_before).values_list("pk", "source_loan_id"))
    assert kept == ids_before  # loaded pairs keep their loan_id
    assert catalog_of_loans() == catalog
    assert current_debt_drift() == 0


# --- the foreign key of loans, checked for the whole set ---------------------------------------

ORPHAN_LOAN = """
CREATE TEMP TABLE ingest_loans ON COMMIT DROP AS
SELECT 2 AS row_no, 424242::bigint AS customer_id, 1::bigint AS source_loan_id,
       1000::numeric AS loan_amount, 10::numeric AS interest_rate, 12::bigint AS tenure,
       100::numeric AS monthly_payment, 0::bigint AS emis_paid_on_time,
       date '2024-01-15' AS start_date, loan_end_date(date '2024-01-15', 12) AS end_date;
CREATE TEMP TABLE ingest_loan_ids (row_no integer, loan_id bigint, is_new boolean)
    ON COMMIT DROP;
"""


def insert_orphan_loan() -> None:
    """insert_loans.sql on one new loan whose customer does not exist (the rules refuse such a
    file before the load: this is the database's own check)."""
    from django.db import transaction

    from core.services.ingestion.steps import run_sql

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(ORPHAN_LOAN)
        run_sql(cursor, "insert_loans")


def test_the_insert_checks_the_customer_key_for_the_whole_set():
    with pytest.raises(IntegrityError, match="loans_customer_id_fkey") as refused:
        insert_orphan_loan()
    assert "1 new loan(s) have no customer" in str(refused.value)  # the set-based check
    assert "customer_id 424242" in str(refused.value)
    assert not Loan.objects.exists()


@pytest.fixture
def debt_insert_trigger_in_origin_mode():
    """The current_debt INSERT trigger of loans firing in origin mode only (as after a
    reinstall by django-pgtrigger), restored afterwards."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'loans'::regclass"
            " AND tgname LIKE 'pgtrigger_loans_current_debt_insert%'"
        )
        (name,) = cursor.fetchone()
        cursor.execute(f'ALTER TABLE loans ENABLE TRIGGER "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE loans ENABLE ALWAYS TRIGGER "{name}"')


@needs_real_files
@pytest.mark.usefixtures("debt_insert_trigger_in_origin_mode")
def test_a_trigger_that_replica_mode_would_skip_keeps_the_row_checks():
    """The set-based path is not taken when it would skip a trigger: the debts still agree,
    and the key is checked row by row (PostgreSQL's own message)."""
    assert ingest().loans_inserted == 782
    assert current_debt_drift() == 0
    with pytest.raises(IntegrityError, match="loans_customer_id_fkey") as refused:
        insert_orphan_loan()
    assert "is not present in table" in str(refused.value)
