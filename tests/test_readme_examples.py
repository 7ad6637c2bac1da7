"""scripts/check_readme_examples.py: how it reads the README, what it masks, how it runs the
commands and records answers. No stack is needed: the commands run here are plain shell."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "check_readme_examples", ROOT / "scripts" / "check_readme_examples.py"
)
checker = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = checker  # dataclasses look their module up there
_spec.loader.exec_module(checker)

SAMPLE = """\
# Title

```sh
$ curl localhost:8000/not-an-example      # a sh block is not checked
```

```console
$ python manage.py migrate                 # a console block without curl is not checked
Operations to perform:
```

```console
$ ANSWER=$(curl -s -X POST localhost:8000/register \\
    -d '{"a":1}')
$ echo "$ANSWER"
{"customer_id":7,"name":"A"}
$ CUSTOMER=7

$ curl localhost:8000/view-loans/$CUSTOMER
line one
line two

$ curl localhost:8000/health
{"status":"ok"}
```
"""


def test_parse_takes_console_blocks_with_curl_commands_and_their_answers():
    examples = checker.parse(SAMPLE)
    assert [(e.line, e.command, e.expected) for e in examples] == [
        (
            13,
            "ANSWER=$(curl -s -X POST localhost:8000/register \\\n    -d '{\"a\":1}')",
            (),
        ),
        (15, 'echo "$ANSWER"', ('{"customer_id":7,"name":"A"}',)),
        (17, "CUSTOMER=7", ()),
        (19, "curl localhost:8000/view-loans/$CUSTOMER", ("line one", "line two")),
        (23, "curl localhost:8000/health", ('{"status":"ok"}',)),
    ]
    lines = SAMPLE.split("\n")
    view_loans = examples[3]
    assert lines[view_loans.out_start : view_loans.out_end] == ["line one", "line two"]
    assert examples[0].out_start == examples[0].out_end  # an assignment answers nothing


def test_parse_refuses_a_block_it_cannot_read():
    with pytest.raises(ValueError, match="never closed"):
        checker.parse("```console\n$ curl localhost:8000/health\n")
    with pytest.raises(ValueError, match="no command above it"):
        checker.parse("```console\n{}\n$ curl localhost:8000/health\n```\n")


def test_the_readme_examples_parse_and_cover_every_endpoint():
    examples = checker.parse((ROOT / "README.md").read_text(encoding="utf-8"))
    commands = "\n".join(e.command for e in examples)
    for path in ("/register", "/check-eligibility", "/create-loan", "/view-loan/", "/view-loans/"):
        assert f"localhost:8000{path}" in commands
    health = [e for e in examples if e.command == "curl localhost:8000/health"]
    assert health and health[0].expected == ('{"status":"ok","database":"ok","broker":"ok"}',)
    # every answer shown is whole: no "..." cut in a response called real
    assert not any("..." in line for e in examples for line in e.expected)


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_readme_has_the_required_sections_and_its_links_reach_headings():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    outside_code = re.sub(r"```.*?```", "", text, flags=re.S)
    headings = re.findall(r"^#{1,6} (.+)$", outside_code, flags=re.M)
    for required in (
        "Project overview",
        "Tech stack",
        "Setup instructions",
        "API endpoints",
        "Docker",
        "Local setup without Docker",
    ):
        assert required in headings
    anchors = {_slug(h) for h in headings}
    links = set(re.findall(r"\]\(#([^)]+)\)", outside_code))
    assert links and links <= anchors, links - anchors


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        (
            '{"loan_id":10032,"customer_id":301,"loan_approved":true}',
            '{"loan_id":<id>,"customer_id":<id>,"loan_approved":true}',
        ),
        (
            '{"loan_id":1,"customer":{"id":301,"phone_number":9876543210,"age":30}}',
            '{"loan_id":<id>,"customer":{"id":<id>,"phone_number":9876543210,"age":30}}',
        ),
        ('{"loan_id":null,"decision_id":"d-42"}', '{"loan_id":null,"decision_id":<id>}'),
        ('{"request_id": "9f0c", "status": 404}', '{"request_id": <id>, "status": 404}'),
        (
            '{"start_date":"2025-06-15","at":"2025-06-15T10:30:00.123+05:30"}',
            '{"start_date":"<date>","at":"<date>"}',
        ),
        ('{"message":"ends on 2027-01-31."}', '{"message":"ends on <date>."}'),
        ("X-Request-ID: 5d0b3c2e9a", "X-Request-ID: <id>"),
        (
            '{"monthly_installment":23188.02,"credit_score":60,"approved_limit":2300000.0}',
            '{"monthly_installment":23188.02,"credit_score":60,"approved_limit":2300000.0}',
        ),
    ],
)
def test_mask_hides_handed_out_ids_and_dates_and_nothing_else(line, masked):
    assert checker.mask(line) == masked


def test_mask_keeps_what_must_match():
    same = checker.mask('{"customer_id":1,"credit_score":60}')
    assert checker.mask('{"customer_id":2,"credit_score":60}') == same
    assert checker.mask('{"customer_id":1,"credit_score":55}') != same
    assert checker.mask('{"customer_id": 1,"credit_score":60}') != same  # spacing counts
    assert checker.mask('{"loan_id":null}') != checker.mask('{"loan_id":5}')


def test_for_url_points_localhost_at_the_stack():
    assert (
        checker.for_url("curl localhost:8000/a && curl http://localhost:8000/b", "http://h:9/")
        == "curl http://h:9/a && curl http://h:9/b"
    )


# Each block below qualifies by its first command, which defines a stand-in for curl (a shell
# function, carried to the later commands like a variable) so that no stack and no curl is needed.
FAKE_CURL = '$ curl() { echo "curl $*"; }\n'


def _readme(tmp_path: Path, block: str) -> Path:
    path = tmp_path / "README.md"
    path.write_text(f"Intro\n\n```console\n{FAKE_CURL}{block}```\n\nEnd\n")
    return path


RUNNABLE = """\
$ N=$(echo 41)
$ echo "got $((N + 1)) and $(cat kept.txt 2>/dev/null || echo nothing)" \\
    "from localhost:8000/x"
got 42 and nothing from http://127.0.0.1:9/x
$ echo kept > kept.txt

$ cat kept.txt; echo "$N"; curl -s localhost:8000/view-loan/$N
kept
41
curl -s http://127.0.0.1:9/view-loan/41
"""


def test_commands_run_as_printed_with_variables_files_and_functions_carried(tmp_path):
    examples = checker.parse(_readme(tmp_path, RUNNABLE).read_text())
    outcomes = checker.run(examples, "http://127.0.0.1:9")
    assert [(o.status, o.actual) for o in outcomes] == [
        (0, []),
        (0, []),
        (0, ["got 42 and nothing from http://127.0.0.1:9/x"]),
        (0, []),
        (0, ["kept", "41", "curl -s http://127.0.0.1:9/view-loan/41"]),
    ]
    assert all(o.matches for o in outcomes)


def test_a_mismatch_or_a_failing_command_exits_1_with_a_diff(tmp_path, capsys):
    block = '$ echo \'{"customer_id":5,"x":1}\'\n{"customer_id":9,"x":2}\n$ false\n'
    readme = _readme(tmp_path, block)
    assert checker.main(["http://127.0.0.1:9", "--readme", str(readme)]) == 1
    err = capsys.readouterr().err
    assert '-{"customer_id":<id>,"x":2}\n+{"customer_id":<id>,"x":1}' in err
    assert "README.md line 7: $ false\nexit status 1" in err
    assert "2 of 3 differ" in err


def test_masked_differences_pass(tmp_path, capsys):
    readme = _readme(
        tmp_path,
        '$ echo \'{"loan_id":5,"d":"2030-01-02"}\'\n{"loan_id":1000000000,"d":"2025-06-15"}\n',
    )
    assert checker.main(["http://127.0.0.1:9", "--readme", str(readme)]) == 0
    assert "all 2 answers match" in capsys.readouterr().out


def test_update_rewrites_the_answers_and_nothing_else(tmp_path, capsys):
    stale = "$ N=3\nstale answer\n$ echo $((N * 2)); echo second\nold\n\n$ curl localhost:8000/a\n"
    fresh = "$ N=3\n$ echo $((N * 2)); echo second\n6\nsecond\n\n$ curl localhost:8000/a\ncurl http://127.0.0.1:9/a\n"
    readme = _readme(tmp_path, stale)
    readme.write_text(readme.read_text() + "\n```sh\n$ echo untouched\nx\n```\n")
    assert checker.main(["http://127.0.0.1:9", "--readme", str(readme), "--update"]) == 0
    assert readme.read_text() == (
        f"Intro\n\n```console\n{FAKE_CURL}{fresh}```\n\nEnd\n\n```sh\n$ echo untouched\nx\n```\n"
    )
    assert checker.main(["http://127.0.0.1:9", "--readme", str(readme)]) == 0


def test_update_refuses_when_a_command_fails(tmp_path, capsys):
    readme = _readme(tmp_path, "$ exit 3\nanswer\n")
    text = readme.read_text()
    assert checker.main(["http://127.0.0.1:9", "--readme", str(readme), "--update"]) == 1
    assert readme.read_text() == text
    assert "not updated: 1 command(s) failed" in capsys.readouterr().err
