"""PostgreSQL's COPY text format: one row's fields, tab-separated, NULL as \\N."""

from __future__ import annotations

import re
from collections.abc import Sequence

NULL = "\\N"
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\n\r]")  # (a tab shows in the count of tabs)


def fields(texts: Sequence[str | None]) -> str:
    """The COPY text of one row's cells (None is NULL), escaped where a cell needs it."""
    line = "\t".join([text or "" for text in texts])
    if line.count("\t") != len(texts) - 1 or _NEEDS_ESCAPE.search(line):  # rare
        return "\t".join([NULL if text is None else text.translate(ESCAPES) for text in texts])
    if None in texts:
        return "\t".join([NULL if text is None else text for text in texts])
    return line
