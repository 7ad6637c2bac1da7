"""Reading a workbook (python-calamine: bench/RESULTS.md has why) into the COPY text of its
staging rows (steps.py), each row rendered once. A cell goes to its column's field as
PostgreSQL will read it or, when it is not of the column's kind, as text to the column's text
field, where the cell rules find it: a number as the shortest text of the same double ("8.2",
"1e+16"), so the rules count its decimals exactly; a whole number within bigint as its digits;
text in plain decimal notation (" 12.50 ") as a number; a date, a date-time's date, an Excel
serial date or text YYYY-MM-DD (a real day; a time is ignored) as ISO; text stripped."""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from python_calamine import CalamineError, CalamineWorkbook

from core.services.ingestion.columns import DATE, INTEGER, NUMBER, TEXT, InputFile, match_headers
from core.services.ingestion.errors import IngestionFailed

if TYPE_CHECKING:
    from core.services.ingestion.columns import HeaderMatch

EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of Excel's dates after 1900-02-28
EXCEL_LAST_SERIAL = 2958465  # 9999-12-31, the last date Excel knows
BIGINT = 2**63  # whole numbers staged lie in [-BIGINT, BIGINT)
# Bounds checked before a workbook is parsed (check_sizes): a hostile file is refused at once,
# not after holding the run (and its lock) while calamine inflates it. (The 1M-loan sample
# workbook: 45 MiB on disk, about 300 MiB unpacked, no shared strings.)
MAX_WORKBOOK_BYTES = 200 * 2**20  # the file on disk
MAX_UNPACKED_BYTES = 1024 * 2**20  # the members of an .xlsx/.ods zip, as their headers declare
MAX_SHARED_STRINGS_BYTES = 64 * 2**20  # xl/sharedStrings.xml, where every text cell lives
# A text cell longer than this is cut to one character more before staging: no column holds
# more than 100, so the rules refuse it and the report shows its start.
MAX_CELL_CHARS = 1000
BLOCK_ROWS = 1000  # rows per block handed to COPY (CopySource.read)
# Text cells read as numbers (plain decimal notation, up to 30 digits each side of the point)
# and as dates (ISO, optionally with a time of day).
NUMBER_TEXT = re.compile(r"[+-]?([0-9]{1,30}(\.[0-9]{0,30})?|\.[0-9]{1,30})")
DATE_TEXT = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?"
)
# PostgreSQL's COPY text format: tab-separated fields, NULL as \N, these characters escaped.
NULL = "\\N"
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})

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


def integer_field(value: object) -> Field:
    field, text = number_field(value)
    if field is not None:
        number = Decimal(field)
        if number == number.to_integral_value() and -BIGINT <= number < BIGINT:
            return str(int(number)), None
        text = cell_text(value)
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


FIELDS: dict[str, Callable[[object], Field]] = {
    INTEGER: integer_field,
    NUMBER: number_field,
    DATE: date_field,
    TEXT: lambda value: (cell_text(value), None),
}


def copy_fields(texts: Sequence[Text]) -> str:
    """The COPY text of one row's fields (None is NULL)."""
    return "\t".join([NULL if text is None else text.translate(ESCAPES) for text in texts])


@dataclass
class SheetRows:
    """The data rows of a workbook's first sheet, below its header row."""

    file_label: str
    header_row: int  # as Excel numbers it
    total_rows: int  # rows below the header, empty ones included (for progress)
    header: HeaderMatch
    file: InputFile
    _rows: Callable[[], Iterator[list[object]]]  # a new iterator over the sheet's rows

    def copy_lines(self) -> Iterator[str]:
        """The COPY text line of every non-empty row: the row number as Excel shows it, then
        the fields in the order of InputFile.staging_columns."""
        staged = self.file.staged
        render = [FIELDS[c.kind] for c in staged]
        with_text = [i for i, c in enumerate(staged) if c.text_column]
        # A row of floats and dates where the columns expect them (every row of the real loan
        # file) is formatted whole: the row number and the whole numbers, where "%.15g" prints
        # a whole float below 1e15 as its digits and anything else with a ".", an "e" or an "n"
        # (that row goes cell by cell); the other numbers as number_field does (repr, a
        # trailing ".0" cut), the dates as ISO. Files with text columns go cell by cell.
        whole = sum(c.kind == INTEGER for c in staged)
        expected = tuple(dt.date if c.kind == DATE else float for c in staged)
        fast = len(with_text) == len(staged)  # (no text column)
        head = "%d\t" + "%.15g\t" * whole
        tail = "".join("%s\t" if c.kind == DATE else "%r\t" for c in staged[whole:])
        no_texts = "\t".join([NULL] * len(with_text)) + "\n"
        positions = [self.header.positions[c.name] for c in staged]
        pick, needed = itemgetter(*positions), max(positions) + 1
        for row_number, cells in enumerate(islice(self._rows(), self.header_row, None)):
            row_number += self.header_row + 1  # as Excel numbers it
            if len(cells) < needed:  # a short row: its missing cells are empty
                cells = [*cells, *[None] * (needed - len(cells))]
            values = pick(cells)
            if fast and tuple(map(type, values)) == expected:
                line = head % (row_number, *values[:whole])
                if "." not in line and "e" not in line and "n" not in line:
                    yield line + (tail % values[whole:]).replace(".0\t", "\t") + no_texts
                    continue
            fields = [f(value) for f, value in zip(render, values, strict=True)]
            texts = [field for field, _ in fields] + [fields[i][1] for i in with_text]
            if texts.count(None) < len(texts):  # not an empty row
                yield f"{row_number}\t{copy_fields(texts)}\n"


class CopySource:
    """What psycopg2's copy_expert reads: each read() returns the next block of BLOCK_ROWS
    lines, whatever size it asks for (psycopg2 sends what it gets), and reports the rows read
    so far to on_rows. An error of the lines' reader is kept in `error`: psycopg2 answers it
    with an error of its own."""

    def __init__(self, lines: Iterator[str], on_rows: Callable[[int], None]) -> None:
        self._lines, self._on_rows = lines, on_rows
        self.rows = 0
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> str:
        try:
            block = list(islice(self._lines, BLOCK_ROWS))
        except BaseException as exc:
            self.error = exc
            raise
        if block:
            self.rows += len(block)
            self._on_rows(self.rows)
        return "".join(block)


def open_sheet(path: Path, file: InputFile) -> SheetRows:
    """Parse the first sheet of the workbook at path (calamine keeps it in memory; the file is
    closed) and match its header row (the first non-empty row) against the file's columns.
    Fails (IngestionFailed) when the file cannot be read, is over the bounds above, or a
    required column is missing."""
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
        first_column = sheet.start[1] if sheet.start else 0
        header = match_headers(file, header_cells, path.name, max(header_row, 1), first_column)
        total_rows = max((sheet.end[0] + 1 if sheet.end else 0) - header_row, 0)
        return SheetRows(path.name, header_row, total_rows, header, file, sheet.iter_rows)


def check_sizes(path: Path, file: InputFile) -> None:
    """Refuse (IngestionFailed) a workbook over the bounds above, before anything parses it:
    its size on disk and, for a zip (.xlsx, .ods), the sizes its members declare."""

    def refuse(what: str, size: int, bound: int, holds: str) -> None:
        if size > bound:
            mib = f"{size / 2**20:,.1f} MiB: over the {bound / 2**20:,.1f} MiB a workbook may"
            raise IngestionFailed(f"{file.name} file {path} {what} {mib} {holds}")

    refuse("is", path.stat().st_size, MAX_WORKBOOK_BYTES, "have")
    try:
        with zipfile.ZipFile(path) as archive:
            members = {m.filename: m.file_size for m in archive.infolist()}
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip (.xls: bounded by its size on disk), or calamine names the problem
    refuse("unpacks to", sum(members.values()), MAX_UNPACKED_BYTES, "hold")
    shared = members.get("xl/sharedStrings.xml", 0)
    refuse("holds text cells (xl/sharedStrings.xml) of", shared, MAX_SHARED_STRINGS_BYTES, "hold")
