"""JSON log lines, with phone-number-like digit runs masked before anything is written."""

from __future__ import annotations

import json
import logging
import re
import time

# 10-15 digits with a non-zero first digit: the shape of a phone number in this service. A
# UUID (task and request ids) is matched first and kept whole: its hex groups can hold such a
# run of digits, and an id must stay readable (and searchable) in the log.
_PHONE_LIKE = re.compile(
    r"(?P<uuid>\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b)|(?<!\d)[1-9]\d{9,14}(?!\d)"
)
_FIELDS = ("method", "path", "status", "duration_ms", "request_id", "client")


def _mask(match: re.Match[str]) -> str:
    return match.group() if match.group("uuid") else "[redacted]"


def redact(text: str) -> str:
    return _PHONE_LIKE.sub(_mask, text)


class JsonFormatter(logging.Formatter):
    # (whole second, its text): a busy process formats the same second many times over.
    _second: tuple[int, str] = (-1, "")

    def _timestamp(self, created: float) -> str:
        second = int(created)
        cached = self._second
        if cached[0] != second:
            cached = (second, time.strftime("%Y-%m-%dT%H:%M:%S", self.converter(created)))
            self._second = cached
        return cached[1]

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        # (a record marked premasked was masked by its caller where it must be: the request
        # line, whose route ids stay whole, core/middleware.py)
        line = {
            "ts": self._timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "msg": message if getattr(record, "premasked", False) else redact(message),
        }
        for field in _FIELDS:
            if hasattr(record, field):
                line[field] = getattr(record, field)
        if record.exc_info:
            line["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, default=str)


class OneLineWarning(logging.Filter):
    """Turns a record into one WARNING line: level lowered, traceback dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


class TaskOutcomeWithoutValues(logging.Filter):
    """Celery's "Task ... succeeded: <return value>" / "raised expected: <exception>" lines
    would copy a task's result into the log: an ingestion report quotes the rejected cells
    (names, phone numbers, salaries). Keep the line, drop the values; they stay in the task
    result and in ingestion_runs, where the reports belong."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            args = dict(record.args)
            if "return_value" in args:
                args["return_value"] = "(result not logged)"
            if "exc" in args:
                args["exc"] = f"{type(args['exc']).__name__} (details not logged)"
            record.args = args
        return True
