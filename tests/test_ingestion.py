"""Ingestion service (README, "Ingestion") on the real spreadsheets and crafted variants of them.

Expected values are read from the files with openpyxl, a reader independent of the service's
python-calamine, so the two cross-check each other.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from core.models import Customer, IngestionRun, Loan
from core.services.ingestion.errors import IngestionFailed
from core.services.ingestion.pipeline import run_ingestion
from core.services.maintenance import current_debt_drift
from core.services.sample_data import generate_sample_files
from tests.conftest import connect_separately

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SHARED_DATA_DIR", REPO.parent / "shared" / "data"))
REAL_CUSTOMERS = SHARED / "customer_data.xlsx"
REAL_LOANS = SHARED / "loan_data.xlsx"

# Skipped only outside CI (e.g. the in-Docker run); in CI a missing file fails the tests.
needs_real_files = pytest.mark.skipif(
    not (REAL_CUSTOMERS.is_file() and REAL_LOANS.is_file()) and not os.environ.get("CI"),
    reason=f"the real spreadsheets are not in {SHARED} (set SHARED_DATA_DIR)",
)
pytestmark = pytest.mark.django_db(transaction=True)


# --- helpers (also used by test_ingestion_worker.py) -----------------------------------------


def sheet_rows(path: Path) -> list[list]:
    """Data rows of the first sheet (header dropped, empty rows dropped), via openpyxl."""
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)][1:]
    return [r for r in rows if any(c is not None and str(c).strip() for c in r)]


def variant(source: Path, target: Path, change: Callable[[object], None]) -> Path:
    """A copy of a workbook with change(sheet) applied (openpyxl, full mode)."""
    workbook = openpyxl.load_workbook(source)
    change(workbook.worksheets[0])
    workbook.save(target)
    return target


def sequences() -> dict[str, int | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences "
            "WHERE sequencename IN ('customers_customer_id_seq', 'loans_loan_id_seq')"
        )
        return dict(cursor.fetchall())


def database_state() -> dict:
    """Everything a run may change: both tables, row by row, and both sequences."""
    return {
        "customers": list(Customer.objects.order_by("pk").values_list()),
        "loans": list(Loan.objects.order_by("pk").values_list()),
        "sequences": sequences(),
    }


CUSTOMER_HEADER = [
    "Customer ID",
    "First Name",
    "Last Name",
    "Age",
    "Phone Number",
    "Monthly Salary",
    "Approved Limit",
]
LOAN_HEADER = [
    "Customer ID",
    "Loan ID",
    "Loan Amount",
    "Tenure",
    "Interest Rate",
    "Monthly payment",
    "EMIs paid on Time",
    "Date of Approval",
    "End Date",
]


def workbooks(folder: Path, customers: list[list], loans: list[list]) -> tuple[Path, Path]:
    """A small customer file and loan file with the real files' headers (openpyxl)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, header, rows in (
        ("customers.xlsx", CUSTOMER_HEADER, customers),
        ("loans.xlsx", LOAN_HEADER, loans),
    ):
        workbook = openpyxl.Workbook()
        workbook.active.append(header)
        for row in rows:
            workbook.active.append(row)
        workbook.save(folder / name)
        paths.append(folder / name)
    return paths[0], paths[1]


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day)


@pytest.fixture
def session_today():
    """Pin credit_today() for the ingestion's connection (a session setting, reset after)."""

    def pin(day: dt.date) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('credit.today', %s, false)", [day.isoformat()])

    yield pin
    with connection.cursor() as cursor:
        cursor.execute("RESET credit.today")


def money(value) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.01"))


def ingest(customers: Path = REAL_CUSTOMERS, loans: Path = REAL_LOANS):
    return run_ingestion(customers, loans)


def refused(customers: Path = REAL_CUSTOMERS, loans: Path = REAL_LOANS) -> IngestionFailed:
    with pytest.raises(IngestionFailed) as failure:
        run_ingestion(customers, loans)
    return failure.value


def credit_today() -> dt.date:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credit_today()")
        return cursor.fetchone()[0]


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


# --- refused files change nothing --------------------------------------------------------------


@needs_real_files
def test_one_bad_cell_fails_naming_it_and_changes_nothing(tmp_path):
    ingest()
    before = database_state()

    # New customers in the same run would have moved the sequences if anything ran early.
    def add_customers(sheet):
        for n in range(5):
            sheet.append([400 + n, "Extra", "Person", 30, 9100000000 + n, 50000, 100000])

    customers = variant(REAL_CUSTOMERS, tmp_path / "customers.xlsx", add_customers)
    loans = variant(REAL_LOANS, tmp_path / "loans.xlsx", lambda s: s.__setitem__("E5", "12.5%"))

    failure = refused(customers, loans)

    report = failure.report
    assert report.total_problems == 1
    [problem] = report.problems
    assert (problem.file, problem.row, problem.column) == ("loans.xlsx", 5, 'E "Interest Rate"')
    assert (problem.value, problem.reason) == ("12.5%", "not a number")
    assert "loans.xlsx row 5" in str(failure)
    assert database_state() == before
    run = IngestionRun.objects.order_by("-id").first()
    assert run.status == "failed" and run.finished_at is not None
    assert run.error_report["problems"][0]["row"] == 5


@needs_real_files
def test_a_bad_file_on_an_empty_database_leaves_sequences_alone(tmp_path):
    before = database_state()
    loans = variant(REAL_LOANS, tmp_path / "loans.xlsx", lambda s: s.__setitem__("D783", 0))
    failure = refused(loans=loans)
    assert [(p.row, p.column, p.reason) for p in failure.report.problems] == [
        (783, 'D "Tenure"', "must be at least 1")
    ]
    assert database_state() == before


@needs_real_files
def test_loan_for_unknown_customer_fails_and_changes_nothing(tmp_path):
    ingest()
    before = database_state()
    loans = variant(REAL_LOANS, tmp_path / "loans.xlsx", lambda s: s.__setitem__("A10", 99999))
    failure = refused(loans=loans)
    [problem] = failure.report.problems
    assert (problem.row, problem.column, problem.value) == (10, 'A "Customer ID"', "99999")
    assert "neither the customer file nor the database" in problem.reason
    assert database_state() == before


@needs_real_files
def test_every_rule_is_reported_in_file_order_with_the_total(tmp_path):
    added, repeated = {}, {}

    def break_customers(s):
        s["E3"] = s["E2"].value  # phone repeated in the file
        s["D5"] = 17  # age out of range
        s["B6"] = "   "  # blank name
        s["F7"] = 1000.555  # more than 2 decimals
        s["G8"] = -1  # negative limit
        s["E9"] = "0123456789"  # phone format
        added["row"] = s.max_row + 1  # below the sheet's formatted empty rows
        s.append([1, "Dup", "Licate", 30, 9100000007, 1000, 0])  # Customer ID repeated

    def break_loans(s):
        s["I2"] = dt.date(2030, 1, 1)  # end date not start + tenure
        s["G3"] = 99  # more EMIs on time than the tenure (3)
        s["A4"], s["B4"] = s["A5"].value, s["B5"].value  # (Customer ID, Loan ID) repeated
        repeated["customer"] = s["A5"].value
        s["H6"] = "2021-02-30"  # no such day
        s["C7"] = None  # missing value
        for row in range(20, 140):  # many problems: the report keeps the first 100
            s[f"F{row}"] = 0

    customers = variant(REAL_CUSTOMERS, tmp_path / "c.xlsx", break_customers)
    loans = variant(REAL_LOANS, tmp_path / "l.xlsx", break_loans)
    report = refused(customers, loans).report

    assert report.total_problems == 7 + 5 + 120
    assert len(report.problems) == 100
    found = [(p.file, p.row, p.column.split()[0], p.reason) for p in report.problems[:13]]
    assert found == [
        ("c.xlsx", 3, "E", "phone number repeated in the customer file (first at row 2)"),
        ("c.xlsx", 5, "D", "must be at least 18"),
        ("c.xlsx", 6, "B", "missing value"),
        ("c.xlsx", 7, "F", "more than 2 decimals"),
        ("c.xlsx", 8, "G", "must be at least 0"),
        ("c.xlsx", 9, "E", "not a phone number (10 to 15 digits, the first not 0)"),
        ("c.xlsx", added["row"], "A", "Customer ID repeated in the customer file (first at row 2)"),
        (
            "l.xlsx",
            2,
            "I",
            "not Date of Approval + Tenure months (2017-03-09 + 129 months = 2027-12-09)",
        ),
        ("l.xlsx", 3, "G", "more than the tenure (3 months)"),
        (
            "l.xlsx",
            5,
            "B",
            f"Loan ID repeated for customer {repeated['customer']} in the loan file (first at row 4)",
        ),
        ("l.xlsx", 6, "H", "not a date (an Excel date or YYYY-MM-DD text)"),
        ("l.xlsx", 7, "C", "missing value"),
        ("l.xlsx", 20, "F", "must be greater than 0"),
    ]
    assert report.problems[5].value == "0123456789" and report.problems[6].value == "1"
    assert Customer.objects.count() == 0 and Loan.objects.count() == 0


@needs_real_files
def test_existing_customer_with_another_phone_is_never_overwritten(tmp_path):
    ingest()
    before = database_state()
    customers = variant(
        REAL_CUSTOMERS, tmp_path / "c.xlsx", lambda s: s.__setitem__("E2", 9000000099)
    )
    [problem] = refused(customers=customers).report.problems
    assert (problem.row, problem.column) == (2, 'A "Customer ID"')
    assert "already exists with a different phone number" in problem.reason
    assert database_state() == before


@needs_real_files
def test_missing_column_fails_at_once_naming_it(tmp_path):
    customers = variant(REAL_CUSTOMERS, tmp_path / "c.xlsx", lambda s: s.delete_cols(7))
    failure = refused(customers=customers)
    assert [(p.row, p.column, p.reason) for p in failure.report.problems] == [
        (1, "Approved Limit", "required column is missing")
    ]
    assert IngestionRun.objects.get().status == "failed"
    assert Customer.objects.count() == 0


# --- what the reader accepts -------------------------------------------------------------------


@needs_real_files
def test_snake_case_headers_serial_and_text_dates_load_the_same_data(tmp_path):
    def snake(names: list[str]) -> Callable:
        def change(sheet):
            for index, name in enumerate(names, start=1):
                sheet.cell(row=1, column=index, value=name)

        return change

    customers = variant(
        REAL_CUSTOMERS,
        tmp_path / "c.xlsx",
        snake(
            [
                "customer_id",
                "FIRST_NAME",
                "last-name",
                "age",
                "PhoneNumber",
                "monthly salary",
                "approved_limit",
            ]
        ),
    )

    def loans_change(sheet):
        snake(
            [
                "customer_id",
                "loan_id",
                "loan_amount",
                "tenure",
                "interest_rate",
                "monthly_payment",
                "emis_paid_on_time",
                "date_of_approval",
                "end_date",
            ]
        )(sheet)
        for row in range(2, sheet.max_row + 1):
            start, end = sheet.cell(row, 8), sheet.cell(row, 9)
            start.value = (start.value - dt.datetime(1899, 12, 30)).days  # Excel serial number
            start.number_format = "General"
            end.value = end.value.date().isoformat()  # ISO text

    loans = variant(REAL_LOANS, tmp_path / "l.xlsx", loans_change)
    ingest(customers, loans)
    loaded = database_state()
    assert len(loaded["loans"]) == 782

    result = ingest()  # the original files: same data, so nothing changes
    assert (result.rows_inserted, result.rows_updated) == (0, 0)
    assert database_state() == loaded


@needs_real_files
def test_row_numbers_are_excel_rows_with_offsets_and_empty_rows(tmp_path):
    def shift(sheet):
        sheet.insert_rows(1, amount=2)  # data starts at row 3 ...
        sheet.insert_cols(1, amount=2)  # ... and column C
        sheet.insert_rows(10)  # an empty row inside the data
        sheet["G15"] = "ten"  # Interest Rate of the row Excel numbers 15

    loans = variant(REAL_LOANS, tmp_path / "l.xlsx", shift)
    [problem] = refused(loans=loans).report.problems
    assert (problem.row, problem.column, problem.value) == (15, 'G "Interest Rate"', "ten")


@needs_real_files
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


# --- the sample generator ----------------------------------------------------------------------


def test_generator_output_round_trips_and_is_deterministic(tmp_path):
    files = generate_sample_files(tmp_path / "a", customers=60, loans=400, seed=11)
    again = generate_sample_files(tmp_path / "b", customers=60, loans=400, seed=11)
    assert sheet_rows(files.customers) == sheet_rows(again.customers)
    assert sheet_rows(files.loans) == sheet_rows(again.loans)
    assert files.repeated_loan_ids > 0

    header = next(openpyxl.load_workbook(files.loans, read_only=True).worksheets[0].values)
    assert list(header) == [
        "Customer ID",
        "Loan ID",
        "Loan Amount",
        "Tenure",
        "Interest Rate",
        "Monthly payment",
        "EMIs paid on Time",
        "Date of Approval",
        "End Date",
    ]
    rates = [row[4] for row in sheet_rows(files.loans)]
    assert any(isinstance(r, int) for r in rates) and any(isinstance(r, float) for r in rates)

    result = run_ingestion(files.customers, files.loans)
    assert (result.customers_inserted, result.loans_inserted) == (60, 400)
    assert result.ids_remapped == files.repeated_loan_ids
    for cid, lid, amount, tenure, rate, payment, on_time, start, end in sheet_rows(files.loans):
        loan = Loan.objects.get(customer_id=cid, source_loan_id=lid)
        assert (loan.loan_amount, loan.interest_rate) == (money(amount), money(rate))
        assert (loan.tenure, loan.emis_paid_on_time, loan.start_date) == (
            tenure,
            on_time,
            start.date(),
        )
        assert loan.monthly_installment == money(payment)
        assert loan.end_date == end.date()
    assert current_debt_drift() == 0


def test_committed_samples_load():
    result = run_ingestion(REPO / "data" / "customer_data.xlsx", REPO / "data" / "loan_data.xlsx")
    assert result.customers_inserted == 300 and result.loans_inserted == 800
    # What the Celery task returns (JSON): every count, the same as the run's record.
    run = IngestionRun.objects.get(pk=result.run_id)
    assert json.loads(json.dumps(result.as_dict())) == {
        "run_id": run.pk,
        "rows_read": 1100,
        "customer_rows": 300,
        "loan_rows": 800,
        "customers_inserted": 300,
        "customers_updated": 0,
        "loans_inserted": 800,
        "loans_updated": 0,
        "ids_remapped": run.ids_remapped,
        "rows_inserted": 1100,
        "rows_updated": 0,
    }
    assert (run.rows_read, run.rows_inserted, run.rows_updated) == (1100, 1100, 0)
    assert run.ids_remapped == Loan.objects.exclude(loan_id=F("source_loan_id")).count()


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


@needs_real_files
def test_a_phone_of_another_customer_in_the_database_is_refused(tmp_path):
    ingest()
    before = database_state()

    def newcomer_with_a_known_phone(sheet):
        sheet.cell(row=302, column=1, value=301)
        for column, value in enumerate(["Late", "Comer", 40, 9629317944, 1000, 0], start=2):
            sheet.cell(row=302, column=column, value=value)

    customers = variant(REAL_CUSTOMERS, tmp_path / "c.xlsx", newcomer_with_a_known_phone)
    problems = refused(customers=customers).report.problems
    assert [(p.row, p.column, p.value, p.reason) for p in problems] == [
        (
            302,
            'E "Phone Number"',
            "9629317944",
            "phone number already belongs to customer 1 in the database",
        ),
        (
            302,
            'E "Phone Number"',
            "9629317944",
            "phone number repeated in the customer file (first at row 2)",
        ),
    ]
    assert database_state() == before


@needs_real_files
def test_a_file_that_is_not_a_workbook_is_refused(tmp_path):
    fake = tmp_path / "loans.xlsx"
    fake.write_text("Customer ID,Loan ID\n1,2\n")
    failure = refused(loans=fake)
    assert f"loans file {fake} is not a readable workbook" in str(failure)
    assert IngestionRun.objects.get().error_report["message"].startswith("loans file")


@needs_real_files
def test_text_with_copy_special_characters_loads_exactly(tmp_path):
    name = "O\\Brien\tJr\nIII"  # (XML cannot keep a carriage return)
    customers = variant(REAL_CUSTOMERS, tmp_path / "c.xlsx", lambda s: s.__setitem__("C2", name))
    ingest(customers)
    assert Customer.objects.get(pk=1).last_name == name


# --- one staging path (stage.py): every cell lands typed, or as text for the rules to name ---


@needs_real_files
def test_numbers_written_as_text_load_the_same_as_numbers(tmp_path):
    def as_text(sheet):
        for row in range(2, sheet.max_row + 1):
            for column in "CDF":  # Loan Amount, Tenure, Monthly payment
                cell = sheet[f"{column}{row}"]
                if isinstance(cell.value, int | float):
                    cell.value = f" {cell.value} "

    ingest(loans=variant(REAL_LOANS, tmp_path / "loans.xlsx", as_text))
    from_text = loans_as_loaded()
    Loan.objects.all().delete()  # (the sequences move on: loan ids are not compared)
    Customer.objects.all().delete()
    ingest()
    assert loans_as_loaded() == from_text and len(from_text) == 782


@needs_real_files
def test_a_fraction_in_a_whole_number_column_is_named(tmp_path):
    loans = variant(REAL_LOANS, tmp_path / "loans.xlsx", lambda s: s.__setitem__("D9", 12.5))
    problems = refused(loans=loans).report.problems
    [problem] = [p for p in problems if p.column == 'D "Tenure"']
    assert (problem.row, problem.value) == (9, "12.5")
    assert problem.reason == "not a whole number"


@needs_real_files
def test_cells_of_the_wrong_kind_are_named_with_their_column(tmp_path):
    def break_customers(s):
        s["D5"], s["F7"], s["G8"], s["F9"] = 17, 1000.555, -1, 0  # age, decimals, limit, salary
        s["D10"], s["F11"], s["D12"] = None, "lots", True

    def break_loans(s):
        s["C2"], s["D3"], s["D4"], s["E5"] = 0, 0, 601, 100.01  # amount, tenure x2, rate
        s["F6"], s["G7"], s["I8"] = 1.005, -1, dt.date(2030, 1, 1)
        s["H9"], s["B10"], s["A11"] = None, 0, 99999
        s["H12"], s["C13"] = "next week", dt.date(2020, 1, 1)

    customers = variant(REAL_CUSTOMERS, tmp_path / "c.xlsx", break_customers)
    loans = variant(REAL_LOANS, tmp_path / "l.xlsx", break_loans)
    report = refused(customers, loans).report
    found = {(p.file, p.row, p.column): (p.value, p.reason) for p in report.problems}
    assert report.total_problems == len(found) == 19
    assert found[("c.xlsx", 5, 'D "Age"')] == ("17", "must be at least 18")
    assert found[("c.xlsx", 7, 'F "Monthly Salary"')] == ("1000.555", "more than 2 decimals")
    assert found[("c.xlsx", 9, 'F "Monthly Salary"')] == ("0", "must be greater than 0")
    assert found[("c.xlsx", 10, 'D "Age"')] == (None, "missing value")
    assert found[("c.xlsx", 11, 'F "Monthly Salary"')] == ("lots", "not a number")
    assert found[("c.xlsx", 12, 'D "Age"')] == ("TRUE", "not a whole number")
    assert found[("l.xlsx", 12, 'H "Date of Approval"')] == (
        "next week",
        "not a date (an Excel date or YYYY-MM-DD text)",
    )
    assert found[("l.xlsx", 13, 'C "Loan Amount"')] == ("2020-01-01", "not a number")
    assert found[("l.xlsx", 11, 'A "Customer ID"')][1].startswith("customer 99999 is in neither")
    assert [(p.file, p.row) for p in report.problems] == sorted(
        ((p.file, p.row) for p in report.problems), key=lambda k: (k[0] != "c.xlsx", k[1])
    )


@needs_real_files
def test_a_column_is_found_under_an_alias(tmp_path):
    def renamed(sheet):
        sheet["F1"], sheet["H1"] = "Monthly Installment", "Start Date"

    ingest(loans=variant(REAL_LOANS, tmp_path / "l.xlsx", renamed))
    assert Loan.objects.count() == 782


@needs_real_files
def test_a_column_under_two_of_its_names_is_refused(tmp_path):
    loans = variant(REAL_LOANS, tmp_path / "l.xlsx", lambda s: s.__setitem__("K1", "EMI"))
    [problem] = refused(loans=loans).report.problems
    assert (problem.column, problem.reason) == (
        'K "EMI"',
        "this column appears twice in the header row",
    )


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


def loans_as_loaded() -> list[tuple]:
    """Every loan but its loan_id (remapped ids follow the sequence, which deletes leave)."""
    fields = [f.attname for f in Loan._meta.concrete_fields if f.name != "loan_id"]
    return list(Loan.objects.order_by("customer_id", "source_loan_id").values_list(*fields))


@needs_real_files
@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        (1e40, "must be at most 999999999999.99"),
        (1.5e-31, "more than 2 decimals"),
        (2.5e-7, "more than 2 decimals"),
        (1e16, "must be at most 999999999999.99"),
        ("1e5", "not a number"),  # text in exponent notation: not a plain decimal
    ],
)
def test_extreme_numbers_are_named_by_the_rule_they_break(tmp_path, cell, reason):
    loans = variant(REAL_LOANS, tmp_path / "l.xlsx", lambda s: s.__setitem__("C5", cell))
    [problem] = refused(loans=loans).report.problems
    assert (problem.row, problem.column, problem.reason) == (5, 'C "Loan Amount"', reason)


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
