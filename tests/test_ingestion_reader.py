"""The reader alone (read.py): how cells become COPY text in the two renderings. No database."""

from __future__ import annotations

import datetime as dt

import pytest


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
    ],
)
def test_cells_become_exact_text(cell, text):
    from core.services.ingestion.read import cell_text

    assert cell_text(cell) == text


def test_numbers_in_date_columns_are_excel_serial_dates():
    from core.services.ingestion.read import date_cell_text

    assert date_cell_text(42803.0) == "2017-03-09"
    assert date_cell_text(42803.75) == "2017-03-09"
    assert date_cell_text("2017-03-09") == "2017-03-09"
    assert date_cell_text(-1.0) == "-1"  # not a serial date: refused by the SQL rules


@pytest.mark.parametrize(
    "cell",
    [None, "", "  ", 14.0, 8.2, 8.199999999999999, 1000.555, -5.5, 0.0001, 0.0, -0.0, 12, 2.0**56],
)
def test_plain_numbers_are_the_same_text_as_in_the_text_path(cell):
    from core.services.ingestion.read import cell_text, plain_number_text

    assert plain_number_text(cell) == cell_text(cell)


@pytest.mark.parametrize(
    "cell",
    [
        "12",
        "  12 ",
        "abc",
        True,
        1e17,
        1e20,
        2.5e-7,
        float("nan"),
        float("inf"),
        dt.date(2020, 1, 1),
    ],
)
def test_anything_else_in_a_number_column_is_not_plain(cell):
    from core.services.ingestion.read import NotPlainCell, plain_number_text

    with pytest.raises(NotPlainCell):
        plain_number_text(cell)


@pytest.mark.parametrize(
    "cell",
    [None, "", " ", 42803.0, 42803.75, 1, dt.date(2017, 3, 9), dt.datetime(2017, 3, 9, 14, 30)],
)
def test_plain_dates_are_the_same_text_as_in_the_text_path(cell):
    from core.services.ingestion.read import date_cell_text, plain_date_text

    assert plain_date_text(cell) == date_cell_text(cell)


@pytest.mark.parametrize("cell", ["2017-03-09", -1.0, 0.5, 3e6, float("nan"), True])
def test_anything_else_in_a_date_column_is_not_plain(cell):
    from core.services.ingestion.read import NotPlainCell, plain_date_text

    with pytest.raises(NotPlainCell):
        plain_date_text(cell)


def loan_sheet(rows: list[tuple]):
    """SheetRows over in-memory loan rows (header on row 1), as calamine would give them."""
    from core.services.ingestion.headers import LOANS, match_headers
    from core.services.ingestion.read import SheetRows

    header = match_headers(LOANS, LOANS.headers, file_label="l.xlsx", header_row=1, first_column=0)
    cells = [LOANS.headers, *[list(r) for r in rows]]
    return SheetRows("l.xlsx", 1, len(rows), header, LOANS, lambda: iter(cells))


def test_whole_row_rendering_is_cell_by_cell_rendering():
    """Rows of floats and dates are rendered whole (read.py); the fields are those the cell by
    cell rendering gives (exponents aside: PostgreSQL reads the same number from either)."""
    from core.services.ingestion import copytext
    from core.services.ingestion.read import PLAIN_FORMATTERS

    day, later = dt.date(2013, 8, 14), dt.date(2024, 5, 14)
    rows = [
        (1.0, 5.0, 600000.0, 129.0, 8.11, 10144.0, 77.0, day, later),
        (0.0, 10.5, 0.01, 1.0, 8.199999999999999, 1000.555, 0.0, day, day),
        (12345678901234.0, 2.0**52, 0.0001, 600.0, 100.0, 99.99, 600.0, later, later),
        ("", "", "", "", "", "", "", "", ""),  # calamine's padding: an empty row, skipped
        (3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, dt.datetime(2020, 1, 2, 3, 4), day),  # cell by cell
    ]
    whole = list(loan_sheet(rows).plain_fields())
    kinds = [c.kind for c in loan_sheet([]).spec.columns]
    by_cell = [
        (n + 2, copytext.fields([PLAIN_FORMATTERS[k](v) for k, v in zip(kinds, row, strict=True)]))
        for n, row in enumerate(rows)
        if n != 3
    ]
    assert whole == by_cell
    assert whole[0] == (2, "1\t5\t600000\t129\t8.11\t10144\t77\t2013-08-14\t2024-05-14")
