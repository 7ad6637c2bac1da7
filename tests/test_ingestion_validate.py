"""Ingestion, validation (README, "Ingestion"): a refused file names each problem (file, row,
column, value, reason) and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection

from core.models import Customer, IngestionRun, Loan
from core.services.ingestion import steps
from tests.ingestion_support import (
    REAL_CUSTOMERS,
    REAL_LOANS,
    database_state,
    ingest,
    needs_real_files,
    refused,
    variant,
    workbooks,
)

pytestmark = pytest.mark.django_db(transaction=True)


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


def test_a_key_repeated_three_times_is_reported_on_each_later_row_citing_the_first(tmp_path):
    def customer(number: int, phone: int) -> list:
        return [number, "Ann", "Ray", 30, phone, 50000, 1800000]

    def loan(customer_id: int, loan_id: int) -> list:
        start, end = dt.date(2020, 1, 15), dt.date(2021, 1, 15)
        return [customer_id, loan_id, 100000, 12, 10, 8792, 3, start, end]

    customers, loans = workbooks(
        tmp_path,
        [customer(1, 9100000001), customer(2, 9100000002), customer(1, 9100000003),
         customer(1, 9100000004)],
        [loan(2, 7), loan(2, 7), loan(1, 8), loan(2, 7)],
    )  # fmt: skip
    problems = refused(customers, loans).report.problems
    assert [(p.file, p.row, p.column.split()[0], p.reason) for p in problems] == [
        ("customers.xlsx", 4, "A", "Customer ID repeated in the customer file (first at row 2)"),
        ("customers.xlsx", 5, "A", "Customer ID repeated in the customer file (first at row 2)"),
        ("loans.xlsx", 3, "B", "Loan ID repeated for customer 2 in the loan file (first at row 2)"),
        ("loans.xlsx", 5, "B", "Loan ID repeated for customer 2 in the loan file (first at row 2)"),
    ]
    assert Customer.objects.count() == 0 and Loan.objects.count() == 0


def repeated_loan_files(tmp_path):
    """Files whose only problem is a (customer, Loan ID) pair given twice: every cell passes,
    the loans' unique key refuses the load."""
    start, end = dt.date(2020, 1, 15), dt.date(2021, 1, 15)
    loan = [1, 7, 100000, 12, 10, 8792, 3, start, end]
    return workbooks(tmp_path, [[1, "Ann", "Ray", 30, 9100000001, 50000, 1800000]], [loan, loan])


def test_the_rules_across_rows_run_only_to_name_what_the_load_refused(tmp_path, monkeypatch):
    ran: list[str] = []
    real_run_sql = steps.run_sql
    monkeypatch.setattr(
        steps,
        "run_sql",
        lambda c, name, *a, **k: ran.append(name) or real_run_sql(c, name, *a, **k),
    )
    good, _ = workbooks(tmp_path / "good", [[1, "Ann", "Ray", 30, 9100000001, 50000, 1800000]], [])
    ingest(good, workbooks(tmp_path / "g", [], [])[1])
    assert "file_problems" not in ran and "insert_loans" in ran

    ran.clear()
    [problem] = refused(*repeated_loan_files(tmp_path / "bad")).report.problems
    assert ran.index("insert_loans") < ran.index("file_problems")  # refused, then named
    assert (problem.row, problem.reason) == (
        3,
        "Loan ID repeated for customer 1 in the loan file (first at row 2)",
    )
    assert not Loan.objects.exists()


def test_a_load_refused_by_a_constraint_no_rule_names_fails_with_the_database_error(
    tmp_path, monkeypatch
):
    real_run_sql = steps.run_sql

    def without_file_rules(cursor, name, *args, **kwargs):
        if name != "file_problems":
            real_run_sql(cursor, name, *args, **kwargs)

    monkeypatch.setattr(steps, "run_sql", without_file_rules)
    with pytest.raises(IntegrityError, match="loans_customer_source_loan_unique"):
        ingest(*repeated_loan_files(tmp_path))
    run = IngestionRun.objects.get()
    assert run.status == "failed" and run.error_report["refused"] is False
    assert not Customer.objects.exists() and not Loan.objects.exists()


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


@pytest.mark.parametrize(
    "call",
    [
        "ingest_number_problem(n, t, 2, 0, true, 100)",
        "ingest_integer_problem(i, t, 1, 600)",
        "ingest_date_problem(d, t, '1900-01-01', '2199-12-31', 'out of range')",
        "ingest_text_problem(t, 100, '^[0-9]+$', 'not digits')",
    ],
)
def test_the_cell_rules_are_inlined_into_the_query_that_calls_them(call):
    """A cell rule PostgreSQL cannot inline (its body more volatile than it is declared) is
    called row by row, several times slower at 1M rows (bench/RESULTS.md)."""
    with connection.cursor() as cursor:  # (a table's columns: constants would be folded)
        cursor.execute("CREATE TEMP TABLE cells (n numeric, t text, d date, i bigint)")
        cursor.execute(f"EXPLAIN (VERBOSE) SELECT {call} FROM cells")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert call.split("(")[0] not in plan, plan
