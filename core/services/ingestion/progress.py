"""Progress of a run: what the task publishes (Celery state PROGRESS), as plain JSON:
{"stage": "copying loans", "customers": {"done": 300, "total": 300},
 "loans": {"done": 120000, "total": 1000000}}
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

Meta = dict[str, Any]
FILES = ("customers", "loans")
# At most this often (seconds) while rows stream; stage changes are published at once.
PUBLISH_INTERVAL = 0.5


class ProgressTracker:
    """Counts a run's progress and publishes it; thread-safe (the loan file's total comes from
    the thread that parses it). A file's total: the rows below its header in the sheet's used
    range until it has been read (blank rows count), then its data rows."""

    def __init__(self, publish: Callable[[Meta], None] | None = None) -> None:
        self._publish = publish
        self._lock = threading.RLock()
        self._last_published = 0.0
        self.stage = "starting"
        self.done, self.total = dict.fromkeys(FILES, 0), dict.fromkeys(FILES, 0)
        self.read = dict.fromkeys(FILES, 0)  # data rows (non-empty) of each file read in full

    @property
    def rows_read(self) -> int:
        return sum(self.read.values())

    def set_totals(self, **totals: int) -> None:
        with self._lock:
            self.total.update(totals)
            self._emit(force=True)

    def set_stage(self, stage: str) -> None:
        with self._lock:
            self.stage = stage
            self._emit(force=True)

    def advance(self, name: str, done: int) -> None:
        with self._lock:
            self.done[name] = done
            self._emit(force=False)

    def file_read(self, name: str, rows: int) -> None:
        """A file has been read to its end: rows data rows, now both done and total."""
        with self._lock:
            self.read[name] = self.done[name] = self.total[name] = rows
            self._emit(force=True)

    def _emit(self, *, force: bool) -> None:
        now = time.monotonic()
        if self._publish and (force or now - self._last_published >= PUBLISH_INTERVAL):
            self._last_published = now
            files = {name: {"done": self.done[name], "total": self.total[name]} for name in FILES}
            self._publish({"stage": self.stage, **files})
