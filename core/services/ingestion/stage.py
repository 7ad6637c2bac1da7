"""Staging: each file's rows into the typed TEMP tables ingest_customers and ingest_loans.

Two paths, the first tried first (see read.py for the two renderings):
  * plain: one COPY of the plain rendering straight into the typed columns, inside a savepoint;
    PostgreSQL's input functions do the parsing. Taken by every file whose typed cells are
    numbers and dates, as the real files and the generator's are;
  * text: when a cell is not plain or PostgreSQL refuses one (a fraction in a whole-number
    column, a date out of range), the savepoint is rolled back, the file is read again into
    TEMP tables of text cells and typed_<file>.sql parses each cell with the cell parsers, so
    that cell_problems.sql can name each refused cell.
Both fill the same typed tables; the cell rules (cell_problems.sql) then judge either the same.

Nothing is collected in Python: the reader's rows are formatted into COPY text lines as
psycopg2 asks for the next block, so staging adds no memory beyond the reader's own sheet.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator

import psycopg2
import psycopg2.errors
from django.db import transaction

from core.services.ingestion.progress import ProgressTracker
from core.services.ingestion.queries import run_sql, sql_text
from core.services.ingestion.read import NotPlainCell, SheetRows

logger = logging.getLogger(__name__)

COPY_BLOCK_SIZE = 1 << 16
# Report progress every this many rows (the tracker throttles by time as well).
PROGRESS_EVERY = 2000


class TextStream:
    """A file-like read() over an iterator of text pieces, for cursor.copy_expert.

    Linear in the text's length whatever the size of a piece: a piece longer than the block
    asked for is handed out slice by slice from an offset, never re-joined or re-cut.
    psycopg2 turns an exception raised by read() into a cancelled COPY (QueryCanceled); the
    original is kept in .error so that the caller can tell what happened.
    """

    def __init__(self, pieces: Iterable[str]) -> None:
        self._pieces = iter(pieces)
        self._piece = ""
        self._offset = 0  # how much of _piece has been handed out
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> str:
        parts = []
        wanted = size if size >= 0 else sys.maxsize  # size < 0: everything
        try:
            while wanted > 0:
                if self._offset >= len(self._piece):
                    piece = next(self._pieces, None)
                    if piece is None:
                        break
                    self._piece, self._offset = piece, 0
                    if len(piece) <= wanted:  # the common case: a whole line, not sliced
                        parts.append(piece)
                        self._offset = len(piece)
                        wanted -= len(piece)
                        continue
                part = self._piece[self._offset : self._offset + wanted]
                parts.append(part)
                self._offset += len(part)
                wanted -= len(part)
        except BaseException as exc:
            self.error = exc
            raise
        return "".join(parts)


def copy_lines(
    rows: SheetRows,
    rendered: Iterable[tuple[int, str]],
    name: str,
    tracker: ProgressTracker,
) -> Iterator[str]:
    """COPY text lines (row number, then the row's fields) for each rendered row; counts
    progress in data rows (blank rows are not rendered), and the file's data rows once the
    whole file has been rendered."""
    read = 0
    for row_number, fields in rendered:
        read += 1
        yield f"{row_number}\t{fields}\n"
        if read % PROGRESS_EVERY == 0:
            tracker.advance(name, read)
    tracker.file_read(name, read)


def create_staging(cursor) -> None:
    run_sql(cursor, "create_staging")


def copy_rows(cursor, rows: SheetRows, name: str, tracker: ProgressTracker) -> None:
    """Stage one file's rows into ingest_<name>, by the plain path if it can."""
    tracker.set_stage(f"copying {name}")
    stream = TextStream(copy_lines(rows, rows.plain_fields(), name, tracker))
    try:
        with transaction.atomic():  # a savepoint: a refused COPY leaves no row behind
            _copy(cursor, f"copy_{name}_plain", stream)
        return
    except NotPlainCell:
        reason = "a typed column holds a cell that is not a plain number or date"
    except (psycopg2.DataError, psycopg2.errors.CheckViolation) as exc:
        # PostgreSQL refused a value (SQLSTATE class 22) or a number outside what both paths
        # read alike (the CHECKs of create_staging.sql). (copy_expert is psycopg2's own:
        # Django's cursor wrapper passes its errors through unwrapped.)
        reason = str(exc).splitlines()[0]
    logger.info("%s: staged as text for the cell rules (%s)", rows.file_label, reason)
    tracker.set_stage(f"copying {name} as text")
    _copy(
        cursor, f"copy_{name}_text", TextStream(copy_lines(rows, rows.text_fields(), name, tracker))
    )
    run_sql(cursor, f"typed_{name}")


def _copy(cursor, statement: str, stream: TextStream) -> None:
    """COPY the stream; an exception of the stream itself is raised as it was."""
    try:
        cursor.copy_expert(
            sql_text(statement),
            stream,
            COPY_BLOCK_SIZE,  # positional: Django's debug cursor wrapper takes no keywords
        )
    except Exception:
        if stream.error is not None:
            raise stream.error from None
        raise
