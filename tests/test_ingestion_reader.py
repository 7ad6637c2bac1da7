"""The reader alone (read.py, columns.py): how cells become the COPY fields of a staging row,
and how header rows are matched. No database."""

from __future__ import annotations

import datetime as dt

import pytest

from core.services.ingestion.columns import CUSTOMERS, LOANS, match_headers
from core.services.ingestion.errors import IngestionFailed
from core.services.ingestion.read import (
    FIELDS,
    SheetRows,
    cell_text,
    copy_fields,
    date_field,
    integer_field,
    number_field,
)


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        (14.0, "14"),
        (8.2, "8.2"),
        (8.199999999999999, "8.2"),  # how openpyxl writes 8.2: the same double
        (1000.555, "1000.555"),
        (1e20, "100000000000000000000"),
        (2.5e-7, "0.00000025"),
        ("  Aaron ", "Aaron"),
        ("   ", None),
        ("", None),
        (None, None),
        (True, "TRUE"),
        (dt.date(2017, 3, 9), "2017-03-09"),
        (dt.datetime(2017, 3, 9, 14, 30), "2017-03-09"),
        ("x" * 5000, "x" * 1001),  # cut to one past the longest a column holds
    ],
)
def test_cells_become_exact_text(cell, text):
    assert cell_text(cell) == text


@pytest.mark.parametrize(
    ("cell", "field"),
    [
        (14.0, ("14", None)),
        (8.199999999999999, ("8.2", None)),  # the shortest text of the same double
        (1000.555, ("1000.555", None)),  # exact: the rules count its decimals
        (1e16, ("1e+16", None)),  # numeric reads the exponent
        (-0.0, ("-0", None)),
        (12, ("12", None)),
        (" 12.50 ", ("12.50", None)),  # text in plain decimal notation is a number
        ("abc", (None, "abc")),  # to the text column: "not a number"
        ("1e5", (None, "1e5")),  # only plain notation counts as a number in text
        (True, (None, "TRUE")),
        (dt.date(2020, 1, 1), (None, "2020-01-01")),
        (None, (None, None)),
        ("  ", (None, None)),
    ],
)
def test_number_cells_go_to_the_number_field_or_the_text_field(cell, field):
    assert number_field(cell) == field


@pytest.mark.parametrize(
    ("cell", "field"),
    [
        (14.0, ("14", None)),
        (-0.0, ("0", None)),
        (12, ("12", None)),
        (1e16, ("10000000000000000", None)),  # whole, within bigint: the rules bound it
        (12.5, (None, "12.5")),  # to the text column: "not a whole number"
        (1e20, (None, "100000000000000000000")),  # past bigint: its digits, "must be at most"
        (2**63, (None, str(2**63))),
        (float("nan"), (None, "NaN")),
        (float("inf"), (None, "Infinity")),
        (" 12 ", ("12", None)),
        (" 12.0 ", ("12", None)),  # text in plain decimal notation of a whole number
        ("12.5", (None, "12.5")),
        ("abc", (None, "abc")),
        (True, (None, "TRUE")),
        (dt.date(2020, 1, 1), (None, "2020-01-01")),
        (None, (None, None)),
    ],
)
def test_integer_cells_go_to_the_number_field_or_the_text_field(cell, field):
    assert integer_field(cell) == field


@pytest.mark.parametrize(
    ("cell", "field"),
    [
        (dt.date(2017, 3, 9), ("2017-03-09", None)),
        (dt.datetime(2017, 3, 9, 14, 30), ("2017-03-09", None)),
        (42803.0, ("2017-03-09", None)),  # an Excel serial date
        (42803.75, ("2017-03-09", None)),  # a time of day is ignored
        ("2017-03-09", ("2017-03-09", None)),
        (" 2017-03-09 14:30 ", ("2017-03-09", None)),
        ("2017-02-30", (None, "2017-02-30")),  # not a calendar day
        ("next week", (None, "next week")),
        (-1.0, (None, "-1")),  # before Excel's first serial
        (3e6, (None, "3000000")),  # past Excel's last
        (float("nan"), (None, "NaN")),
        (True, (None, "TRUE")),
        (None, (None, None)),
    ],
)
def test_date_cells_go_to_the_date_field_or_the_text_field(cell, field):
    assert date_field(cell) == field


def sheet(file, rows: list[tuple]) -> SheetRows:
    """SheetRows over in-memory rows (header on row 1), as calamine would give them."""
    headers = [c.header for c in file.columns]
    header = match_headers(file, headers, file_label="f.xlsx", header_row=1, first_column=0)
    cells = [headers, *[list(r) for r in rows]]
    return SheetRows("f.xlsx", 1, len(rows), header, file, lambda: iter(cells))


def cell_by_cell(file, row_number: int, values) -> str:
    """A row's COPY line, each cell rendered by its column's field function (staged order)."""
    by_column = dict(zip(file.columns, values, strict=True))
    staged = file.staged
    fields = [FIELDS[c.kind](by_column[c]) for c in staged]
    pairs = zip(staged, fields, strict=True)
    texts = [f for f, _ in fields] + [t for c, (_, t) in pairs if c.text_column]
    return f"{row_number}\t{copy_fields(texts)}\n"


def test_whole_row_rendering_is_cell_by_cell_rendering():
    """Rows of floats then dates are rendered whole (read.py): the same fields as cell by cell."""
    day, later = dt.date(2013, 8, 14), dt.date(2024, 5, 14)
    rows = [
        (1.0, 5.0, 600000.0, 129.0, 8.11, 10144.0, 77.0, day, later),
        (0.0, 10.5, 0.01, 1.0, 8.199999999999999, 1000.555, -0.0, day, day),
        (12345678901234.0, 2.0**52, 1e16, 600.0, 100.0, 99.99, 600.0, later, later),
        (-3.0, 1e15, 0.5, float("nan"), float("inf"), 1e-7, 2.0, day, later),
        ("", "", "", "", "", "", "", "", ""),  # calamine's padding: an empty row, skipped
        (3.0, "4", 5.0, 6.0, 7.0, 8.0, 9.0, dt.datetime(2020, 1, 2, 3, 4), "x"),  # cell by cell
    ]
    rendered = list(sheet(LOANS, rows).copy_lines())
    expected = [cell_by_cell(LOANS, n + 2, row) for n, row in enumerate(rows) if n != 4]
    assert rendered == expected
    no_texts = "\t\\N" * 9
    # whole numbers first (customer, loan id, tenure, EMIs paid), then amount, rate, payment
    assert (
        rendered[0]
        == "2\t1\t5\t129\t77\t600000\t8.11\t10144\t2013-08-14\t2024-05-14" + no_texts + "\n"
    )
    assert rendered[-1].endswith("\t2020-01-02\t\\N" + "\t\\N" * 8 + "\tx\n")


def test_text_columns_and_escapes():
    rows = [(1.0, "Tab\there", "Back\\slash", 30.0, 9876543210.0, 50000.0, 0.0)]
    [line] = sheet(CUSTOMERS, rows).copy_lines()
    # row number, the whole numbers (Customer ID, Age), then the others in file order
    assert line.split("\t")[:8] == [
        "2",
        "1",
        "30",
        "Tab\\there",
        "Back\\\\slash",
        "9876543210",
        "50000",
        "0",
    ]


def test_columns_are_found_under_their_aliases_in_any_order():
    cells = [
        "EMI",
        "customer_id",
        "Loan ID",
        "loan amount",
        "TENURE MONTHS",
        "Interest Rate",
        "EMIs paid on Time",
        "Start Date",
        "End Date",
        "Notes",
    ]
    match = match_headers(LOANS, cells, file_label="l.xlsx", header_row=3, first_column=1)
    assert list(match.positions.values()) == [1, 2, 3, 4, 5, 0, 6, 7, 8]
    assert match.labels["monthly_payment"] == 'B "EMI"'
    assert match.labels["start_date"] == 'I "Start Date"'


def test_a_missing_column_and_a_column_under_two_names_fail_at_once():
    cells = [
        "Customer ID",
        "First Name",
        "Last Name",
        "Age",
        "Phone",
        "Mobile Number",
        "Monthly Salary",
    ]
    with pytest.raises(IngestionFailed) as failure:
        match_headers(CUSTOMERS, cells, file_label="c.xlsx", header_row=1, first_column=0)
    problems = {(p.column, p.reason) for p in failure.value.report.problems}
    assert problems == {
        ('F "Mobile Number"', "this column appears twice in the header row"),
        ("Approved Limit", "required column is missing"),
    }
