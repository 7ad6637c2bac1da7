"""Streaming rows out of a workbook (python-calamine: bench/RESULTS.md has why), each row
rendered once, as the COPY text of its staging row (stage.py).

Each cell goes to its column's field as PostgreSQL will read it or, when it is not of the
column's kind, as text to the column's text field (columns.Column.text_column), where the cell
rules (validate.py) find it and say "not a number" or "not a date":
  * number: a float as the shortest text that reads back as the same double ("8.2", "1e+16"),
    which numeric reads exactly, so the rules can count its decimals; text of plain decimal
    notation (" 12.50 ") as that text;
  * date: a date, the date of a date-time, an Excel serial date (1 to 9999-12-31), or text
    YYYY-MM-DD (a real calendar day; a time of day is ignored), as the ISO date;
  * text: the cell's text, stripped; a number as the number's text (phones come as floats).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from core.services.ingestion import copytext
from core.services.ingestion.columns import (
    DATE,
    NUMBER,
    TEXT,
    HeaderMatch,
    InputFile,
    match_headers,
)
from core.services.ingestion.errors import IngestionFailed

# Day 0 of Excel's 1900 date system as used by every date after 1900-02-28.
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serial of 9999-12-31, the last date Excel knows.
EXCEL_LAST_SERIAL = 2958465

# Bounds checked before a workbook is parsed (open_sheet), so a hostile file is refused at once
# instead of holding the run (and its lock) while calamine inflates it. The 1M-loan sample
# workbook is 45 MiB on disk and about 300 MiB unpacked, without shared strings.
MAX_WORKBOOK_BYTES = 200 * 2**20  # the file on disk
MAX_UNPACKED_BYTES = 1024 * 2**20  # the members of an .xlsx/.ods zip, as their headers declare
MAX_SHARED_STRINGS_BYTES = 64 * 2**20  # xl/sharedStrings.xml, where every text cell lives
SHARED_STRINGS = "xl/sharedStrings.xml"
# A text cell longer than this is cut to one character more before staging (the rules then
# refuse it as too long or not a number, and the report shows its start): no column holds more
# than 100 characters, and staging never carries a huge cell.
MAX_CELL_CHARS = 1000

# Text cells read as numbers and dates: plain decimal notation, up to 30 digits each side of
# the point; an ISO date, optionally with a time of day.
NUMBER_TEXT = re.compile(r"[+-]?([0-9]{1,30}(\.[0-9]{0,30})?|\.[0-9]{1,30})")
DATE_TEXT = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?"
)

Text = str | None
Field = tuple[Text, Text]  # (the column's field, its text field)


def cell_text(value: object) -> Text:
    """The text of one cell; None for an empty cell."""
    if type(value) is float:  # by far the most common cell: test it first, by exact type
        if value.is_integer():
            return str(int(value))
        text = repr(value)  # the shortest text that reads back as the same double
        return format(Decimal(text), "f") if "e" in text or text[-1].isalpha() else text
    if isinstance(value, str):
        return value.strip()[: MAX_CELL_CHARS + 1] or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.date):  # a date-time too
        return value.isoformat()[:10]
    return None if value is None else str(value)[: MAX_CELL_CHARS + 1]  # ints, times: as text


def number_field(value: object) -> Field:
    kind = type(value)
    if kind is float:
        text = repr(value)  # "nan" and "inf" too: PostgreSQL reads them, the rules refuse them
        return (text[:-2] if text.endswith(".0") else text), None
    if kind is int:
        return str(value), None
    text = cell_text(value)
    if kind is str and text is not None and NUMBER_TEXT.fullmatch(text):
        return text, None
    return None, text


def date_field(value: object) -> Field:
    kind = type(value)
    if kind is dt.date:
        return value.isoformat(), None  # type: ignore[union-attr]
    if kind is float or kind is int:
        if 1 <= value <= EXCEL_LAST_SERIAL:  # type: ignore[operator]  # NaN fails both tests
            day = EXCEL_EPOCH + dt.timedelta(days=math.floor(value))  # type: ignore[arg-type]
            return day.isoformat(), None
    elif isinstance(value, dt.date):  # a date-time, or a date subclass
        return cell_text(value), None
    text = cell_text(value)
    if kind is str and text is not None and (match := DATE_TEXT.fullmatch(text)):
        try:
            return dt.date(*map(int, match.group(1, 2, 3))).isoformat(), None
        except ValueError:
            pass  # not a calendar day: "not a date"
    return None, text


def text_field(value: object) -> Field:
    return cell_text(value), None


FIELDS: dict[str, Callable[[object], Field]] = {
    NUMBER: number_field,
    DATE: date_field,
    TEXT: text_field,
}


@dataclass
class SheetRows:
    """The data rows of a workbook's first sheet, below its header row."""

    file_label: str
    header_row: int  # as Excel numbers it
    total_rows: int  # rows below the header, empty ones included (for progress)
    header: HeaderMatch
    file: InputFile
    _rows: Callable[[], Iterator[list[object]]]  # a new iterator over the sheet's rows

    def copy_rows(self) -> Iterator[tuple[int, str]]:
        """(row number as Excel shows it, the row's COPY text fields in the order of
        InputFile.staging_columns) for every non-empty row."""
        columns = self.file.columns
        render = [FIELDS[c.kind] for c in columns]
        with_text = [i for i, c in enumerate(columns) if c.text_column]
        no_texts = "\t\\N" * len(with_text)
        # A row of exactly floats then dates where the columns expect them (every row of the
        # real loan file) is rendered whole: "%r" of a float is number_field's text once a
        # trailing ".0" is cut, a date its ISO text from a cache. Other
        # rows, and files with text columns, go cell by cell to the same fields.
        kinds = [c.kind for c in columns]
        numbers = kinds.index(DATE) if DATE in kinds else len(kinds)
        whole_rows = TEXT not in kinds and all(kind == DATE for kind in kinds[numbers:])
        expected = (float,) * numbers + (dt.date,) * (len(kinds) - numbers)
        number_fields = "%r\t" * numbers
        iso = lru_cache(maxsize=None)(dt.date.isoformat)  # files repeat dates
        for row_number, values in self._values():
            if whole_rows and tuple(map(type, values)) == expected:
                line = (number_fields % values[:numbers]).replace(".0\t", "\t")
                dates = "\t".join(map(iso, values[numbers:]))
                yield row_number, (line + dates if dates else line[:-1]) + no_texts
                continue
            fields = [f(value) for f, value in zip(render, values, strict=True)]
            texts = [field for field, _ in fields] + [fields[i][1] for i in with_text]
            if texts.count(None) < len(texts):  # not an empty row
                yield row_number, copytext.fields(texts)

    def _values(self) -> Iterator[tuple[int, tuple[object, ...] | list[object]]]:
        """(row number, the cells in column order) for every row below the header."""
        positions = self.header.positions
        pick, needed = itemgetter(*positions), max(positions) + 1
        for row_number, cells in enumerate(islice(self._rows(), self.header_row, None)):
            if len(cells) >= needed:
                yield self.header_row + 1 + row_number, pick(cells)
            else:
                padded = [cells[p] if p < len(cells) else None for p in positions]
                yield self.header_row + 1 + row_number, padded


@contextmanager
def open_sheet(path: Path, file: InputFile) -> Iterator[SheetRows]:
    """Open the first sheet of the workbook at path and match its header row (the first
    non-empty row) against the file's columns. Fails (IngestionFailed) when the file cannot be
    read, is over the bounds above, or a required column is missing."""
    if not path.is_file():
        raise IngestionFailed(f"{file.name} file {path} does not exist")
    check_sizes(path, file)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise IngestionFailed(f"{file.name} file {path} is not a readable workbook: {exc}") from exc
    with workbook:
        try:
            sheet = workbook.get_sheet_by_index(0)
        except CalamineError as exc:
            raise IngestionFailed(f"{file.name} file {path} has no readable sheet: {exc}") from exc
        # python-calamine pads the rows above the used range (iteration starts at Excel row 1)
        # but starts each row at the range's first column.
        header_row, header_cells = 0, []
        for header_row, cells in enumerate(sheet.iter_rows(), start=1):  # noqa: B007
            if any(cell_text(cell) is not None for cell in cells):
                header_cells = cells
                break
        header = match_headers(
            file,
            header_cells,
            file_label=path.name,
            header_row=max(header_row, 1),
            first_column=sheet.start[1] if sheet.start else 0,
        )
        last_row = sheet.end[0] + 1 if sheet.end else 0
        total_rows = max(last_row - header_row, 0)
        yield SheetRows(path.name, header_row, total_rows, header, file, sheet.iter_rows)


def check_sizes(path: Path, file: InputFile) -> None:
    """Refuse (IngestionFailed) a workbook over the bounds above, before anything parses it:
    its size on disk and, for a zip (.xlsx, .ods), the sizes its members declare."""

    def refuse(what: str, size: int, bound: int, holds: str) -> None:
        if size > bound:
            mib = f"{size / 2**20:,.1f} MiB: over the {bound / 2**20:,.1f} MiB a workbook may"
            raise IngestionFailed(f"{file.name} file {path} {what} {mib} {holds}")

    refuse("is", path.stat().st_size, MAX_WORKBOOK_BYTES, "have")
    if not zipfile.is_zipfile(path):
        return  # .xls and friends: calamine reads them, bounded by the size on disk
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # calamine names the problem (open_sheet)
    refuse("unpacks to", sum(m.file_size for m in members), MAX_UNPACKED_BYTES, "hold")
    for member in members:
        if member.filename == SHARED_STRINGS:
            what = f"holds text cells ({SHARED_STRINGS}) of"
            refuse(what, member.file_size, MAX_SHARED_STRINGS_BYTES, "hold")
