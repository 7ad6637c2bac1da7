"""Staging: TEMP tables of text cells, fed row by row through COPY from the workbook stream.

Nothing is collected in Python: the reader's rows are formatted into COPY text lines as
psycopg2 asks for the next block, so staging adds no memory beyond the reader's own sheet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from core.services.ingestion.progress import ProgressTracker
from core.services.ingestion.queries import run_sql, sql_text
from core.services.ingestion.read import SheetRows

COPY_BLOCK_SIZE = 1 << 16
# Report progress every this many rows (the tracker throttles by time as well).
PROGRESS_EVERY = 2000

# PostgreSQL COPY text format: NULL marker and the characters a value must escape.
COPY_NULL = "\\N"
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\n\r]")


class TextStream:
    """A file-like read() over an iterator of text pieces, for cursor.copy_expert."""

    def __init__(self, pieces: Iterable[str]) -> None:
        self._pieces = iter(pieces)
        self._pending = ""

    def read(self, size: int = -1) -> str:
        parts = [self._pending]
        length = len(self._pending)
        if size < 0 or length < size:
            for piece in self._pieces:
                parts.append(piece)
                length += len(piece)
                if 0 <= size <= length:
                    break
        data = "".join(parts)
        if 0 <= size < len(data):
            data, self._pending = data[:size], data[size:]
        else:
            self._pending = ""
        return data


def copy_lines(rows: SheetRows, name: str, tracker: ProgressTracker) -> Iterator[str]:
    """COPY text lines (row number, then the cells) for each non-empty row; counts progress."""
    header_row = rows.header_row
    tabs = len(rows.header.positions) - 1
    read = 0
    for row_number, texts in rows:
        read += 1
        line = "\t".join([text or "" for text in texts])
        if line.count("\t") != tabs or _NEEDS_ESCAPE.search(line):  # rare: text with \ \t \n \r
            line = "\t".join(
                [COPY_NULL if text is None else text.translate(COPY_ESCAPES) for text in texts]
            )
        elif None in texts:
            line = "\t".join([COPY_NULL if text is None else text for text in texts])
        yield f"{row_number}\t{line}\n"
        if read % PROGRESS_EVERY == 0:
            tracker.advance(name, row_number - header_row)
    tracker.rows_read += read
    tracker.advance(name, rows.total_rows)


def create_staging(cursor) -> None:
    run_sql(cursor, "create_staging")


def copy_rows(cursor, rows: SheetRows, name: str, tracker: ProgressTracker) -> None:
    """Stream one file's rows into its staging table (ingest_<name>_raw)."""
    tracker.set_stage(f"copying {name}")
    cursor.copy_expert(
        sql_text(f"copy_{name}"),
        TextStream(copy_lines(rows, name, tracker)),
        COPY_BLOCK_SIZE,  # positional: Django's debug cursor wrapper takes no keywords
    )
