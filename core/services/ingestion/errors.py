"""Why an ingestion run failed, as data (stored in ingestion_runs) and as text (for people)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The report lists at most this many problems, in file order; the total is always counted.
MAX_REPORTED_PROBLEMS = 100
# A refused value is shown cut to this many characters (and '…'): problem_report.sql.
MAX_REPORTED_VALUE_CHARS = 200


@dataclass(frozen=True)
class Problem:
    """One refused cell or row: the file, the row as Excel numbers it, the column, the value."""

    file: str
    row: int
    column: str
    value: str | None
    reason: str

    def describe(self) -> str:
        value = "(empty)" if self.value is None else repr(self.value)
        return f"{self.file} row {self.row}, column {self.column}: value {value}: {self.reason}"


@dataclass(frozen=True)
class FailureReport:
    message: str
    total_problems: int = 0
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FailureReport:
        problems = [Problem(**problem) for problem in data.get("problems", [])]
        return cls(data.get("message", ""), data.get("total_problems", 0), problems)

    def describe(self) -> str:
        lines = [self.message]
        if self.total_problems > len(self.problems):
            shown = len(self.problems)
            lines.append(f"(the first {shown} of {self.total_problems} problems, in file order)")
        return "\n".join(lines + [f"  {problem.describe()}" for problem in self.problems])


class IngestionFailed(Exception):
    """The run was refused and nothing was changed; `report` says why. Its one argument is the
    report's text for people (Celery rebuilds the exception from it), or the report itself;
    the structured report travels in ingestion_runs.error_report."""

    def __init__(self, why: str | FailureReport) -> None:
        self.report = why if isinstance(why, FailureReport) else FailureReport(message=why)
        super().__init__(self.report.describe())
