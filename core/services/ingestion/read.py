"""Streaming rows out of a workbook with python-calamine, each cell formatted as text.

Reader choice, by measurement on the same 1M-row loan sheet: openpyxl (read-only mode) 69 s,
python-calamine 6.5 s. calamine holds the parsed sheet in memory (about 0.6 KiB per loan row:
736 MiB peak worker RSS at 1M loans, bench/RESULTS.md); openpyxl stays for writing workbooks.

Cells become the text PostgreSQL will validate and cast (sql/ingestion_cells_v1.sql); no
arithmetic happens here. Numbers arrive from calamine as floats: an integral float is written as
the integer, any other float as the shortest text that round-trips it (Decimal(repr(x))), so
8.2 stays "8.2" and the SQL rules can count its decimals exactly.

Each sheet can be read twice, in two renderings of the same cells (stage.py picks):
  * plain (SheetRows.plain_fields): the numbers and dates of the typed columns as PostgreSQL's
    own input functions read them, for a COPY straight into typed columns. A cell that is not
    a plain number or date there (text, a boolean, NaN, a number too long to be read the same
    way by both paths) raises NotPlainCell, and the file is read again as text. A row of only
    floats and dates where the columns expect them (every row of the real loan file) is
    rendered whole, by one %-format of its floats and an ISO-date cache (bench/RESULTS.md has
    what it saves);
  * text (SheetRows.text_fields): every cell as text, for the text staging and the cell
    parsers of sql/ingestion_cells_v1.sql, which name the problem of each refused cell.
For a plain cell both renderings give the same value, so both paths load the same rows.
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from core.services.ingestion import copytext
from core.services.ingestion.errors import IngestionFailed
from core.services.ingestion.headers import (
    DATE,
    DECIMAL,
    INTEGER,
    TEXT,
    FileSpec,
    HeaderMatch,
    match_headers,
)

# Day 0 of Excel's 1900 date system as used by every date after 1900-02-28.
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serial of 9999-12-31, the last date Excel knows.
EXCEL_LAST_SERIAL = 2958465

# Plain numbers have at most 17 digits before any decimal point: well inside bigint and the
# 18 digits (integers) and 30 digits (decimals) the SQL parsers read.
PLAIN_LIMIT = 10**17

# Bounds checked before a workbook is parsed (open_sheet), so a hostile file is refused at once
# instead of holding the run (and its lock) while calamine inflates it. The 1M-loan sample
# workbook is 45 MiB on disk and about 300 MiB unpacked, without shared strings.
MAX_WORKBOOK_BYTES = 200 * 2**20  # the file on disk
MAX_UNPACKED_BYTES = 1024 * 2**20  # the members of an .xlsx/.ods zip, as their headers declare
MAX_SHARED_STRINGS_BYTES = 64 * 2**20  # xl/sharedStrings.xml, where every text cell lives
SHARED_STRINGS = "xl/sharedStrings.xml"
# A text cell longer than this is cut to one character more before staging (the SQL rules then
# refuse it as too long or not a number, and the report shows its start): no column holds more
# than 100 characters, and staging never carries a huge cell.
MAX_CELL_CHARS = 1000

Text = str | None


class NotPlainCell(Exception):
    """A typed column holds a cell that only the text path's cell rules can judge."""


def cell_text(value: object) -> Text:
    """The text of one cell; None for an empty cell."""
    kind = type(value)
    if kind is float:  # by far the most common cell: test it first, by exact type
        if value.is_integer():  # type: ignore[union-attr]
            return str(int(value))  # type: ignore[call-overload]
        text = repr(value)  # the shortest text that reads back as the same double
        if "e" in text or not text[-1].isdigit():  # 2.5e-07, inf, nan
            return format(Decimal(text), "f")
        return text
    if kind is str:
        return value.strip()[: MAX_CELL_CHARS + 1] or None  # type: ignore[union-attr]
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if kind is int:
        return str(value)
    if isinstance(value, dt.datetime):  # before date: datetime is a date subclass
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip()[: MAX_CELL_CHARS + 1] or None
    return str(value)[: MAX_CELL_CHARS + 1]  # times and durations: refused by the SQL cell rules


def date_cell_text(value: object) -> Text:
    """Like cell_text, but a number is an Excel serial date (the date part of a date-time)."""
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 1 <= value <= EXCEL_LAST_SERIAL
    ):
        return (EXCEL_EPOCH + dt.timedelta(days=math.floor(value))).isoformat()
    return cell_text(value)


def plain_number_text(value: object) -> Text:
    """A number cell as text, the same text cell_text gives; NotPlainCell for anything else."""
    kind = type(value)
    if kind is float:
        if value.is_integer():  # type: ignore[union-attr]
            if -PLAIN_LIMIT < value < PLAIN_LIMIT:  # type: ignore[operator]
                return str(int(value))  # type: ignore[call-overload]
        else:
            text = repr(value)  # no exponent below 1e16 and from 1e-4 on
            if "e" not in text and text[-1].isdigit():  # not 2.5e-07, inf, nan
                return text
    elif value is None or (kind is str and not value.strip()):  # type: ignore[union-attr]
        return None  # an empty cell (calamine gives "" for the gaps in its range)
    elif kind is int and -PLAIN_LIMIT < value < PLAIN_LIMIT:  # type: ignore[operator]
        return str(value)
    raise NotPlainCell


def plain_date_text(value: object) -> Text:
    """A date cell (or serial date) as ISO text, as date_cell_text gives it; else NotPlainCell."""
    if value is None or (type(value) is str and not value.strip()):  # type: ignore[union-attr]
        return None  # an empty cell
    if type(value) is float or type(value) is int:
        if 1 <= value <= EXCEL_LAST_SERIAL:  # type: ignore[operator]  # NaN fails both tests
            return (EXCEL_EPOCH + dt.timedelta(days=math.floor(value))).isoformat()  # type: ignore[arg-type]
    elif isinstance(value, dt.datetime):
        return value.date().isoformat()
    elif isinstance(value, dt.date):
        return value.isoformat()
    raise NotPlainCell


class _IsoDates(dict):
    """date -> its ISO text, computed once per date."""

    def __missing__(self, day: dt.date) -> str:
        text = self[day] = day.isoformat()
        return text


TEXT_FORMATTERS = {DATE: date_cell_text}
PLAIN_FORMATTERS = {INTEGER: plain_number_text, DECIMAL: plain_number_text, DATE: plain_date_text}


@dataclass
class SheetRows:
    """The data rows of a workbook's first sheet, below its header row, readable more than
    once: text_fields() and plain_fields() are the two renderings (see the module doc)."""

    file_label: str
    header_row: int  # as Excel numbers it
    total_rows: int  # rows below the header, empty ones included (for progress)
    header: HeaderMatch
    spec: FileSpec
    _rows: Callable[[], Iterator[list[object]]]  # a new iterator over the sheet's rows

    def text_fields(self) -> Iterator[tuple[int, str]]:
        """(row number as Excel shows it, the row's COPY text fields in spec column order) in
        the text rendering; empty rows skipped."""
        formatters = tuple(TEXT_FORMATTERS.get(c.kind, cell_text) for c in self.spec.columns)
        for row_number, values in self._values():
            if (texts := _render(formatters, values)) is not None:
                yield row_number, copytext.fields(texts)

    def plain_fields(self) -> Iterator[tuple[int, str]]:
        """Like text_fields, in the plain rendering; raises NotPlainCell where a typed column
        holds anything but a plain number or date."""
        kinds = [column.kind for column in self.spec.columns]
        formatters = tuple(PLAIN_FORMATTERS.get(kind, cell_text) for kind in kinds)
        # A row whose cells are exactly these types (floats, then dates) is rendered whole:
        # "%r" of a float is the shortest text that reads back as the same double, "14.0"
        # for an integral one, whose ".0" is cut; a date is its ISO date, from a cache (files
        # repeat dates). An exponent ("1e+16", "2.5e-07") stays: PostgreSQL reads the same
        # number from it (the staging CHECKs send the extreme ones to the text path), and a
        # whole-number column refuses it. Other rows, and files with text columns (names,
        # phones), go cell by cell.
        numbers = kinds.index(DATE) if DATE in kinds else len(kinds)
        whole_rows = TEXT not in kinds and all(kind == DATE for kind in kinds[numbers:])
        expected = (float,) * numbers + (dt.date,) * (len(kinds) - numbers)
        number_fields = "%r\t" * numbers
        iso = _IsoDates()
        for row_number, values in self._values():
            if whole_rows and tuple(map(type, values)) == expected:
                line = (number_fields % values[:numbers]).replace(".0\t", "\t")
                dates = "\t".join(map(iso.__getitem__, values[numbers:]))
                yield row_number, line + dates if dates else line[:-1]
            elif (texts := _render(formatters, values)) is not None:
                yield row_number, copytext.fields(texts)

    def _values(self) -> Iterator[tuple[int, tuple[object, ...] | list[object]]]:
        """(row number, the cells in spec column order) for every row below the header."""
        positions = self.header.positions
        pick = itemgetter(*positions)
        needed = max(positions) + 1
        row_number = self.header_row
        for cells in islice(self._rows(), self.header_row, None):
            row_number += 1
            if len(cells) >= needed:
                yield row_number, pick(cells)
            else:
                yield row_number, [cells[p] if p < len(cells) else None for p in positions]


def _render(
    formatters: tuple[Callable[[object], Text], ...], values: Sequence[object]
) -> list[Text] | None:
    """The texts of one row's cells; None for an empty row."""
    texts = [f(value) for f, value in zip(formatters, values, strict=True)]
    return texts if texts.count(None) < len(texts) else None


@contextmanager
def open_sheet(path: Path, spec: FileSpec) -> Iterator[SheetRows]:
    """Open the first sheet of the workbook at path and match its header row against spec.

    The header row is the first non-empty row. Fails (IngestionFailed) when the file cannot be
    read or a required column is missing.
    """
    label = path.name
    if not path.is_file():
        raise IngestionFailed(f"{spec.name} file {path} does not exist")
    check_sizes(path, spec)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise IngestionFailed(f"{spec.name} file {path} is not a readable workbook: {exc}") from exc
    with workbook:
        try:
            sheet = workbook.get_sheet_by_index(0)
        except CalamineError as exc:
            raise IngestionFailed(f"{spec.name} file {path} has no readable sheet: {exc}") from exc
        # python-calamine pads the rows above the used range (iteration starts at Excel row 1)
        # but starts each row at the range's first column.
        first_column = sheet.start[1] if sheet.start else 0
        last_row = sheet.end[0] + 1 if sheet.end else 0
        header_row, header_cells = 0, []
        for header_row, cells in enumerate(sheet.iter_rows(), start=1):  # noqa: B007
            if any(cell_text(cell) is not None for cell in cells):
                header_cells = cells
                break
        header = match_headers(
            spec,
            header_cells,
            file_label=label,
            header_row=max(header_row, 1),
            first_column=first_column,
        )
        yield SheetRows(
            file_label=label,
            header_row=header_row,
            total_rows=max(last_row - header_row, 0),
            header=header,
            spec=spec,
            _rows=sheet.iter_rows,
        )


def _mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


def check_sizes(path: Path, spec: FileSpec) -> None:
    """Refuse (IngestionFailed) a workbook over the bounds above, before anything parses it:
    its size on disk and, for a zip (.xlsx, .ods), the sizes its members declare."""
    size = path.stat().st_size
    if size > MAX_WORKBOOK_BYTES:
        raise IngestionFailed(
            f"{spec.name} file {path} is {_mib(size)}: over the {_mib(MAX_WORKBOOK_BYTES)} a "
            "workbook may have"
        )
    if not zipfile.is_zipfile(path):
        return  # .xls and friends: calamine reads them, bounded by the size on disk
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # calamine names the problem (open_sheet)
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise IngestionFailed(
            f"{spec.name} file {path} unpacks to {_mib(unpacked)}: over the "
            f"{_mib(MAX_UNPACKED_BYTES)} a workbook may hold"
        )
    for member in members:
        if member.filename == SHARED_STRINGS and member.file_size > MAX_SHARED_STRINGS_BYTES:
            raise IngestionFailed(
                f"{spec.name} file {path} holds {_mib(member.file_size)} of text cells "
                f"({SHARED_STRINGS}): over the {_mib(MAX_SHARED_STRINGS_BYTES)} a workbook may "
                "hold"
            )
