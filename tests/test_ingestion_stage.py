"""Ingestion, reading and staging (README, "Ingestion"): what the reader accepts, and every
cell staged typed or as text for the rules to name, end to end on the real files' variants."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from core.models import Customer, IngestionRun, Loan
from tests.ingestion_support import (
    REAL_CUSTOMERS,
    REAL_LOANS,
    database_state,
    ingest,
    loans_as_loaded,
    needs_real_files,
    refused,
    variant,
)

pytestmark = pytest.mark.django_db(transaction=True)


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
