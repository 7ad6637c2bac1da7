"""Ids never clash between the API and the files, sample data never clashes with the real
files, and a start-up load that cannot succeed says so instead of being retried forever."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.models import FIRST_SERVICE_ID, MAX_FILE_ID, Customer, IngestionRun, Loan
from core.services import sample_data as generate
from core.services.ingestion import runs
from core.services.ingestion.errors import FailureReport, IngestionFailed
from core.services.ingestion.pipeline import run_ingestion
from core.services.maintenance import current_debt_drift
from tests.ingestion_support import (
    REAL_CUSTOMERS,
    REAL_LOANS,
    needs_real_files,
    sheet_rows,
    variant,
)

REPO = Path(__file__).resolve().parent.parent
SAMPLE_CUSTOMERS = REPO / "data" / "customer_data.xlsx"
SAMPLE_LOANS = REPO / "data" / "loan_data.xlsx"

pytestmark = pytest.mark.django_db(transaction=True)

_phones = iter(range(7_100_000_000, 7_199_999_999))


def register(api) -> int:
    response = api.post(
        "/register",
        {
            "first_name": "Early",
            "last_name": "Bird",
            "age": 30,
            "monthly_income": 50000,
            "phone_number": next(_phones),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["customer_id"]


def sequence_state(name: str) -> tuple[int, int | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT start_value, last_value FROM pg_sequences WHERE sequencename = %s", [name]
        )
        return cursor.fetchone()


# --- the service's ids start one past the largest id a file may bring ---------------------------


def test_the_sequences_start_one_past_the_largest_file_id(api):
    for name in ("customers_customer_id_seq", "loans_loan_id_seq"):
        start, last = sequence_state(name)
        assert start == FIRST_SERVICE_ID == MAX_FILE_ID + 1
        assert last is None or last >= MAX_FILE_ID
    customer_id = register(api)
    assert customer_id >= FIRST_SERVICE_ID
    created = api.post(
        "/create-loan",
        {"customer_id": customer_id, "loan_amount": 10000, "interest_rate": 12, "tenure": 12},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["loan_id"] >= FIRST_SERVICE_ID


@needs_real_files
def test_registrations_before_between_and_after_loads_never_take_a_file_id(api):
    """The start-up race: a /register that arrives before the sample load (or between loads)
    takes no id that a load brings, so every load still succeeds."""
    registered = [register(api)]
    sample = run_ingestion(SAMPLE_CUSTOMERS, SAMPLE_LOANS)
    registered.append(register(api))
    real = run_ingestion(REAL_CUSTOMERS, REAL_LOANS)
    registered.append(register(api))

    assert (sample.customers_inserted, sample.loans_inserted) == (300, 800)
    assert (real.customers_inserted, real.loans_inserted) == (300, 782)
    assert Customer.objects.count() == 300 + 300 + 3
    assert all(customer_id >= FIRST_SERVICE_ID for customer_id in registered)
    assert len(set(registered)) == 3
    # The real files keep their ids: customer 1 is the file's Aaron Garcia, with loan 7798.
    assert Customer.objects.get(pk=1).phone_number == "9629317944"
    assert Loan.objects.get(pk=7798).customer_id == 1
    assert current_debt_drift() == 0


@needs_real_files
@pytest.mark.parametrize("real_first", [False, True])
def test_sample_and_real_files_load_into_one_database_in_either_order(real_first):
    loads = [(SAMPLE_CUSTOMERS, SAMPLE_LOANS), (REAL_CUSTOMERS, REAL_LOANS)]
    for customers, loans in reversed(loads) if real_first else loads:
        run_ingestion(customers, loans)
    assert Customer.objects.count() == 600
    assert Loan.objects.count() == 800 + 782
    assert Loan.objects.get(pk=7798).customer_id == 1
    assert Loan.objects.filter(source_loan_id__lt=generate.FIRST_LOAN_ID).count() == 782
    assert current_debt_drift() == 0


def test_a_file_id_above_the_bound_is_refused_naming_the_cell(tmp_path):
    too_large = MAX_FILE_ID + 1

    def customer(sheet):
        sheet["A3"] = too_large

    def loans(sheet):
        sheet["B4"] = too_large
        sheet["A5"] = too_large

    customers = variant(SAMPLE_CUSTOMERS, tmp_path / "c.xlsx", customer)
    loan_file = variant(SAMPLE_LOANS, tmp_path / "l.xlsx", loans)
    with pytest.raises(IngestionFailed) as failure:
        run_ingestion(customers, loan_file)
    reason = f"must be at most {MAX_FILE_ID}"
    found = [(p.file, p.row, p.column, p.value, p.reason) for p in failure.value.report.problems]
    assert (("c.xlsx", 3, 'A "Customer ID"', str(too_large), reason)) in found
    assert (("l.xlsx", 4, 'B "Loan ID"', str(too_large), reason)) in found
    assert (("l.xlsx", 5, 'A "Customer ID"', str(too_large), reason)) in found
    assert not Customer.objects.exists()


@needs_real_files
def test_fresh_loan_ids_come_from_the_sequence_even_after_a_restart(api):
    """Remapped loans take the ids the loans sequence would hand out next; a RESTART (as
    TRUNCATE ... RESTART IDENTITY does) starts it at its START value again."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE loans ALTER COLUMN loan_id RESTART")
    result = run_ingestion(REAL_CUSTOMERS, REAL_LOANS)
    remapped = sorted(Loan.objects.exclude(loan_id__lte=MAX_FILE_ID).values_list("pk", flat=True))
    assert result.ids_remapped == len(remapped) == 29
    assert remapped == list(range(FIRST_SERVICE_ID, FIRST_SERVICE_ID + 29))
    assert sequence_state("loans_loan_id_seq")[1] == remapped[-1]
    created = api.post(
        "/create-loan",
        {"customer_id": register(api), "loan_amount": 10000, "interest_rate": 14, "tenure": 12},
        format="json",
    )
    assert created.json()["loan_id"] == remapped[-1] + 1, created.content


def test_a_load_without_remapped_loans_never_moves_the_sequence_back(api, tmp_path):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE loans ALTER COLUMN loan_id RESTART")
    files = generate.generate_sample_files(tmp_path, customers=1, loans=3, seed=5)
    assert run_ingestion(files.customers, files.loans).ids_remapped == 0
    customer_id = Customer.objects.get().pk
    created = api.post(
        "/create-loan",
        {"customer_id": customer_id, "loan_amount": 10000, "interest_rate": 14, "tenure": 12},
        format="json",
    )
    assert created.json()["loan_id"] == FIRST_SERVICE_ID, created.content


# --- sample data never collides with the real files ---------------------------------------------


def test_committed_samples_are_the_generators_output_for_the_documented_seed(tmp_path):
    files = generate.generate_sample_files(
        tmp_path, customers=300, loans=800, seed=generate.SAMPLE_SEED
    )
    assert sheet_rows(files.customers) == sheet_rows(SAMPLE_CUSTOMERS)
    assert sheet_rows(files.loans) == sheet_rows(SAMPLE_LOANS)


@needs_real_files
def test_sample_ids_and_phones_are_apart_from_the_real_files():
    customers = sheet_rows(SAMPLE_CUSTOMERS)
    loans = sheet_rows(SAMPLE_LOANS)
    real_ids = {row[0] for row in sheet_rows(REAL_CUSTOMERS)}
    real_phones = {str(row[4]) for row in sheet_rows(REAL_CUSTOMERS)}
    real_loan_ids = {row[1] for row in sheet_rows(REAL_LOANS)}

    assert min(row[0] for row in customers) == generate.FIRST_CUSTOMER_ID == 100_001
    assert not real_ids & {row[0] for row in customers}
    phones = [str(row[4]) for row in customers]
    assert all(re.fullmatch(r"91[0-9]{10}", phone) for phone in phones), phones[:3]
    assert not real_phones & set(phones)
    loan_ids = {row[1] for row in loans}
    assert min(loan_ids) >= generate.FIRST_LOAN_ID == 1_000_000
    assert not real_loan_ids & loan_ids
    assert max(real_loan_ids) < generate.FIRST_LOAN_ID


def test_sample_ids_stay_within_the_file_bound_at_a_million_loans():
    assert generate.FIRST_LOAN_ID + 10 * 1_000_000 - 1 <= MAX_FILE_ID
    with pytest.raises(ValueError, match="Loan IDs must stay at most"):
        generate.generate_sample_files(Path("/nonexistent"), customers=1, loans=10**8, seed=1)


# --- a start-up load that cannot succeed ---------------------------------------------------------


def refused_start_up_run(customers: Path, loans: Path) -> IngestionRun:
    """What a failed start-up load leaves: a queued row with the files' digest, then the
    worker's refused run of it."""
    task_id = "start-up-run"
    runs.record_queued(task_id, customers, loans, runs.files_digest(customers, loans))
    with pytest.raises(IngestionFailed):
        run_ingestion(customers, loans, task_id=task_id)
    return IngestionRun.objects.get(task_id=task_id)


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple]:
    """runs.enqueue_ingestion, recorded instead of sent (no broker or worker needed)."""
    calls: list[tuple] = []
    monkeypatch.setattr(runs, "enqueue_ingestion", lambda *a: calls.append(a) or "task-1")
    return calls


def bad_sample_files(tmp_path: Path) -> tuple[Path, Path]:
    customers = variant(SAMPLE_CUSTOMERS, tmp_path / "c.xlsx", lambda s: s.__setitem__("D2", 12))
    return customers, SAMPLE_LOANS


def test_a_refused_start_up_load_is_not_enqueued_again_and_says_why(tmp_path, enqueued):
    customers, loans = bad_sample_files(tmp_path)
    run = refused_start_up_run(customers, loans)
    for _ in range(2):  # at every start
        with pytest.raises(CommandError) as refused:
            call_command(
                "ingest_data",
                "--unless-succeeded",
                "--customers",
                str(customers),
                "--loans",
                str(loans),
            )
        text = str(refused.value)
        assert f"failed at {run.finished_at:%Y-%m-%d %H:%M:%S}" in text
        assert f"(ingestion run {run.pk})" in text
        assert "c.xlsx row 2, column D \"Age\": value '12': must be at least 18" in text
        assert (
            f"Fix the files, then load them with: python manage.py ingest_data --customers "
            f"{customers} --loans {loans} --wait" in text
        )
    assert enqueued == []
    assert IngestionRun.objects.count() == 1

    # Fixed files (other bytes) are enqueued again.
    variant(customers, customers, lambda s: s.__setitem__("D2", 40))
    call_command(
        "ingest_data", "--unless-succeeded", "--customers", str(customers), "--loans", str(loans)
    )
    assert [call[:2] for call in enqueued] == [(customers, loans)]


def test_a_start_up_load_that_failed_for_another_reason_is_enqueued_again(tmp_path, enqueued):
    customers, loans = SAMPLE_CUSTOMERS, SAMPLE_LOANS
    run = runs.record_queued("crashed", customers, loans, runs.files_digest(customers, loans))
    runs.fail_run(run, FailureReport(message="ingestion failed: server closed the connection"))
    call_command(
        "ingest_data", "--unless-succeeded", "--customers", str(customers), "--loans", str(loans)
    )
    assert len(enqueued) == 1


def test_after_a_success_nothing_is_enqueued_even_if_other_files_were_refused(tmp_path, enqueued):
    customers, loans = bad_sample_files(tmp_path)
    refused_start_up_run(customers, loans)
    run_ingestion(SAMPLE_CUSTOMERS, SAMPLE_LOANS)
    call_command(
        "ingest_data", "--unless-succeeded", "--customers", str(customers), "--loans", str(loans)
    )
    assert enqueued == []


def test_the_start_up_command_prints_the_refusal_on_stderr(tmp_path):
    """What `docker compose logs web` shows at every start after a refused start-up load."""
    from tests.test_ingestion_worker import service_env

    customers, loans = bad_sample_files(tmp_path)
    run = refused_start_up_run(customers, loans)
    result = subprocess.run(
        [
            sys.executable, "manage.py", "ingest_data", "--unless-succeeded",
            "--customers", str(customers), "--loans", str(loans),
        ],
        cwd=REPO, env=service_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("CommandError: not enqueued: the ingestion of")
    assert f"(ingestion run {run.pk})" in result.stderr
    assert "Traceback" not in result.stderr
    assert IngestionRun.objects.count() == 1
