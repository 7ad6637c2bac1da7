#!/usr/bin/env python3
"""Run the README's curl examples against a running stack and compare the answers.

    python3 scripts/check_readme_examples.py [BASE_URL]            # check, exit 1 on a mismatch
    python3 scripts/check_readme_examples.py [BASE_URL] --update   # record the live answers
    python3 scripts/check_readme_examples.py --list                # show what would run

BASE_URL defaults to $SMOKE_URL, else http://localhost:8000. Standard library only.

Examples are the ```console blocks of README.md that hold at least one `$ curl` command. In
such a block a line starting with `$ ` is a command (continued on the next line while it ends
with a backslash); the lines after it, up to a blank line, the next command or the end of the
block, are its expected answer (none is a valid answer: an assignment prints nothing).

Every command runs exactly as printed, through bash, one after another in one temporary
working directory, with shell variables carried from each command to the next (a command may
use $CUSTOMER set by an earlier one). The only change made to a command is that
`localhost:8000` (with or without http://) becomes BASE_URL. A command must exit with status 0.

Before comparing, the expected and the actual answers are masked alike (see `mask`):
  - ids the stack hands out: the value of every JSON field named customer_id, loan_id,
    decision_id, repayment_id, id or request_id becomes <id> (null stays null, so a declined
    loan's "loan_id":null is still checked);
  - dates and timestamps (2025-06-15, 2025-06-15T10:30:00Z, ...) anywhere become <date>;
  - the value of an X-Request-ID header line becomes <id>.
Nothing else is masked: spacing, key order, amounts and messages must match exactly.

--update rewrites the expected answers in README.md with the live answers, unmasked, and
touches nothing else; it refuses when a command fails.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
DEFAULT_URL = "http://localhost:8000"
COMMAND_TIMEOUT = 60  # seconds per command

_FENCE_OPEN = re.compile(r"^```console\s*$")
_FENCE_CLOSE = re.compile(r"^```\s*$")
_CURL = re.compile(r"^\$ curl\b")
_LOCALHOST = re.compile(r"(?:https?://)?localhost:8000")

_ID_FIELD = re.compile(
    r'("(?:customer_id|loan_id|decision_id|repayment_id|id|request_id)"\s*:\s*)(-?\d+|"(?:[^"\\]|\\.)*")'
)
_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_REQUEST_ID_HEADER = re.compile(r"^(x-request-id:\s*)\S+", re.IGNORECASE)


@dataclass(frozen=True)
class Example:
    """One command of the README and its expected answer.

    `line` is the 1-based README line of the command; `out_start:out_end` are the 0-based
    indexes of its expected answer's lines (out_start == out_end when it has none)."""

    line: int
    command: str
    expected: tuple[str, ...]
    out_start: int
    out_end: int


def parse(text: str) -> list[Example]:
    """The examples of every ```console block that holds a `$ curl` command, in order."""
    lines = text.split("\n")
    examples: list[Example] = []
    i = 0
    while i < len(lines):
        if not _FENCE_OPEN.match(lines[i]):
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not _FENCE_CLOSE.match(lines[end]):
            end += 1
        if end == len(lines):
            raise ValueError(f"README line {i + 1}: ```console block is never closed")
        block = _parse_block(lines, i + 1, end)
        if any(_CURL.match(lines[ex.line - 1]) for ex in block):
            examples.extend(block)
        i = end + 1
    return examples


def _parse_block(lines: list[str], start: int, end: int) -> list[Example]:
    examples = []
    i = start
    while i < end:
        if not lines[i].startswith("$ "):
            if lines[i].strip():
                raise ValueError(f"README line {i + 1}: an answer line with no command above it")
            i += 1
            continue
        first = i
        command = [lines[i][2:]]
        while command[-1].endswith("\\"):
            i += 1
            if i == end:
                raise ValueError(f"README line {first + 1}: the command's last line ends with \\")
            command.append(lines[i])
        i += 1
        out_start = i
        while i < end and lines[i].strip() and not lines[i].startswith("$ "):
            i += 1
        examples.append(
            Example(first + 1, "\n".join(command), tuple(lines[out_start:i]), out_start, i)
        )
    return examples


def mask(line: str) -> str:
    """The line with the ids the stack hands out and every date replaced (module docstring)."""
    line = _REQUEST_ID_HEADER.sub(r"\1<id>", line)
    line = _ID_FIELD.sub(r"\1<id>", line)
    return _DATE.sub("<date>", line)


def for_url(command: str, base_url: str) -> str:
    """The command with localhost:8000 pointed at base_url."""
    return _LOCALHOST.sub(lambda _: base_url.rstrip("/"), command)


def answer_lines(stdout: str) -> list[str]:
    """A command's output as README lines (the final newline, if any, ends the last line)."""
    if stdout.endswith("\n"):
        stdout = stdout[:-1]
    return stdout.split("\n") if stdout else []


@dataclass
class Outcome:
    example: Example
    command: str
    status: int
    actual: list[str]
    stderr: str

    @property
    def matches(self) -> bool:
        return self.status == 0 and [mask(x) for x in self.actual] == [
            mask(x) for x in self.example.expected
        ]


_STATE_DUMP = '\n__readme_status=$?\nenv -0 > "$README_CHECK_STATE"\nexit "$__readme_status"\n'
_NOT_CARRIED = {"README_CHECK_STATE", "__readme_status", "_", "SHLVL", "PWD", "OLDPWD"}


def run(examples: list[Example], base_url: str) -> list[Outcome]:
    """Run the commands one after another in one bash session's worth of variables."""
    env = dict(os.environ)
    # Point no proxy at the stack: the examples talk to it directly.
    env["no_proxy"] = env["NO_PROXY"] = "*"
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="readme-examples.") as workdir:
        state = Path(workdir, ".readme-check-state")
        for example in examples:
            command = for_url(example.command, base_url)
            env["README_CHECK_STATE"] = str(state)
            state.unlink(missing_ok=True)
            try:
                # Running the README's own commands through bash is the point of this script.
                done = subprocess.run(  # noqa: S603
                    ["bash", "-c", "set -a\n" + command + _STATE_DUMP],  # noqa: S607
                    cwd=workdir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=COMMAND_TIMEOUT,
                )
                status, stdout, stderr = done.returncode, done.stdout, done.stderr
            except subprocess.TimeoutExpired as exc:
                status, stderr = 124, f"timed out after {COMMAND_TIMEOUT} s"
                stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
            if state.exists():
                env = _read_env(state.read_bytes())
            outcomes.append(Outcome(example, command, status, answer_lines(stdout), stderr))
    return outcomes


def _read_env(dump: bytes) -> dict[str, str]:
    env = {}
    for entry in dump.decode(errors="surrogateescape").split("\0"):
        name, sep, value = entry.partition("=")
        if sep and name not in _NOT_CARRIED:
            env[name] = value
    return env


def report(outcome: Outcome) -> str:
    example = outcome.example
    parts = [f"README.md line {example.line}: $ {outcome.command}"]
    if outcome.status != 0:
        parts.append(f"exit status {outcome.status}")
    expected = [mask(x) for x in example.expected]
    actual = [mask(x) for x in outcome.actual]
    if expected != actual:
        diff = difflib.unified_diff(
            expected, actual, "README (masked)", "stack (masked)", lineterm="", n=0
        )
        parts.extend(diff)
    if outcome.stderr.strip() and outcome.status != 0:
        parts.append("stderr:\n" + outcome.stderr.rstrip())
    return "\n".join(parts)


def update(text: str, outcomes: list[Outcome]) -> str:
    """README text with every example's expected answer replaced by its live answer."""
    lines = text.split("\n")
    for outcome in sorted(outcomes, key=lambda o: o.example.out_start, reverse=True):
        for answer in outcome.actual:
            if not answer.strip() or answer.startswith("$ ") or answer.startswith("```"):
                raise ValueError(
                    f"README.md line {outcome.example.line}: the answer holds a line the README "
                    f"cannot show as an answer: {answer!r}"
                )
        lines[outcome.example.out_start : outcome.example.out_end] = outcome.actual
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", nargs="?", default=os.environ.get("SMOKE_URL", DEFAULT_URL))
    parser.add_argument("--readme", type=Path, default=README)
    parser.add_argument("--update", action="store_true", help="record the live answers")
    parser.add_argument("--list", action="store_true", help="print the examples, run nothing")
    args = parser.parse_args(argv)

    text = args.readme.read_text(encoding="utf-8")
    try:
        examples = parse(text)
    except ValueError as exc:
        print(f"{args.readme}: {exc}", file=sys.stderr)
        return 2
    if not examples:
        print(f"{args.readme}: no ```console block with a `$ curl` command", file=sys.stderr)
        return 2
    if args.list:
        for example in examples:
            print(f"line {example.line}: $ {example.command}")
            for expected in example.expected:
                print(f"    {mask(expected)}")
        return 0

    outcomes = run(examples, args.base_url)
    failed = [o for o in outcomes if o.status != 0]
    if args.update:
        if failed:
            print("\n\n".join(report(o) for o in failed), file=sys.stderr)
            print(f"\nnot updated: {len(failed)} command(s) failed", file=sys.stderr)
            return 1
        changed = sum(o.actual != list(o.example.expected) for o in outcomes)
        try:
            new_text = update(text, outcomes)
        except ValueError as exc:
            print(f"not updated: {exc}", file=sys.stderr)
            return 1
        args.readme.write_text(new_text, encoding="utf-8")
        print(f"{args.readme}: {changed} of {len(outcomes)} answers rewritten from {args.base_url}")
        return 0

    mismatched = [o for o in outcomes if not o.matches]
    for outcome in mismatched:
        print(report(outcome) + "\n", file=sys.stderr)
    if mismatched:
        print(
            f"README examples: {len(mismatched)} of {len(outcomes)} differ from {args.base_url} "
            "(ids and dates masked; record the live answers with --update)",
            file=sys.stderr,
        )
        return 1
    print(f"README examples: all {len(outcomes)} answers match {args.base_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
