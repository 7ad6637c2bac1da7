"""Staging: each file's rows, by one COPY, into its TEMP table (ingest_customers, ingest_loans),
whose columns derive from the file's definition (columns.InputFile.staging_columns).

Nothing is collected in Python: the reader's rows are rendered into COPY text lines as psycopg2
asks for the next block, so staging adds no memory beyond the reader's own sheet. Every
rendered row loads: a cell PostgreSQL could not read as its column's type sits in the column's
text field (read.py), so COPY never refuses a row and the rules (validate.py) judge every cell.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

from psycopg2 import sql

from core.services.ingestion.columns import FILES, InputFile
from core.services.ingestion.progress import ProgressTracker
from core.services.ingestion.queries import composed, run_sql
from core.services.ingestion.read import SheetRows

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
        self._piece, self._offset = "", 0  # the piece being handed out, and how far
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> str:
        parts, wanted = [], size if size >= 0 else sys.maxsize  # size < 0: everything
        try:
            while wanted > 0:
                if self._offset >= len(self._piece):
                    self._piece, self._offset = next(self._pieces, None), 0
                    if self._piece is None:
                        self._piece = ""
                        break
                part = self._piece[self._offset : self._offset + wanted]
                parts.append(part)  # (a whole line, as a rule: slicing it whole is not a copy)
                self._offset += len(part)
                wanted -= len(part)
        except BaseException as exc:
            self.error = exc
            raise
        return "".join(parts)


def copy_lines(rows: SheetRows, tracker: ProgressTracker) -> Iterator[str]:
    """COPY text lines (row number, then the row's fields) for each rendered row; counts
    progress in data rows (blank rows are not rendered), and the file's data rows once the
    whole file has been rendered."""
    name = rows.file.name
    read = 0
    for row_number, fields in rows.copy_rows():
        read += 1
        yield f"{row_number}\t{fields}\n"
        if read % PROGRESS_EVERY == 0:
            tracker.advance(name, read)
    tracker.file_read(name, read)


def _columns(file: InputFile, *, types: bool) -> sql.Composable:
    names = [sql.Identifier("row_no")] + [sql.Identifier(n) for n, _ in file.staging_columns]
    if not types:
        return sql.SQL(", ").join(names)
    kinds = ["integer NOT NULL"] + [kind for _, kind in file.staging_columns]
    typed = (sql.SQL("{} {}").format(n, sql.SQL(k)) for n, k in zip(names, kinds, strict=True))
    return sql.SQL(", ").join(typed)


def create_staging(cursor) -> None:
    run_sql(
        cursor,
        "create_staging",
        parts={f.name: _columns(f, types=True) for f in FILES},
    )


def copy_rows(cursor, rows: SheetRows, tracker: ProgressTracker) -> None:
    """Stage one file's rows into its table."""
    file = rows.file
    tracker.set_stage(f"copying {file.name}")
    statement = composed(
        cursor, "copy_rows", table=sql.Identifier(file.table), columns=_columns(file, types=False)
    )
    stream = TextStream(copy_lines(rows, tracker))
    try:
        # positional block size: Django's debug cursor wrapper takes no keywords
        cursor.copy_expert(statement, stream, COPY_BLOCK_SIZE)
    except Exception:
        if stream.error is not None:  # the reader's own error, not the cancelled COPY
            raise stream.error from None
        raise
