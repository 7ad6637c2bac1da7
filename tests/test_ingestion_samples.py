"""The sample-data generator's workbooks load, the same for the same seed, and the committed
samples in data/ are what the generator writes."""

from __future__ import annotations

import json

import openpyxl
import pytest
from django.db.models import F

from core.models import IngestionRun, Loan
from core.services.ingestion.pipeline import run_ingestion
from core.services.maintenance import current_debt_drift
from core.services.sample_data import generate_sample_files
from tests.ingestion_support import (
    REPO,
    money,
    sheet_rows,
)

pytestmark = pytest.mark.django_db(transaction=True)


# --- the sample generator ----------------------------------------------------------------------


def test_generator_output_round_trips_and_is_deterministic(tmp_path):
    files = generate_sample_files(tmp_path / "a", customers=60, loans=400, seed=11)
    again = generate_sample_files(tmp_path / "b", customers=60, loans=400, seed=11)
    assert sheet_rows(files.customers) == sheet_rows(again.customers)
    assert sheet_rows(files.loans) == sheet_rows(again.loans)
    assert files.repeated_loan_ids > 0

    header = next(openpyxl.load_workbook(files.loans, read_only=True).worksheets[0].values)
    assert list(header) == [
        "Customer ID",
        "Loan ID",
        "Loan Amount",
        "Tenure",
        "Interest Rate",
        "Monthly payment",
        "EMIs paid on Time",
        "Date of Approval",
        "End Date",
    ]
    rates = [row[4] for row in sheet_rows(files.loans)]
    assert any(isinstance(r, int) for r in rates) and any(isinstance(r, float) for r in rates)

    result = run_ingestion(files.customers, files.loans)
    assert (result.customers_inserted, result.loans_inserted) == (60, 400)
    assert result.ids_remapped == files.repeated_loan_ids
    for cid, lid, amount, tenure, rate, payment, on_time, start, end in sheet_rows(files.loans):
        loan = Loan.objects.get(customer_id=cid, source_loan_id=lid)
        assert (loan.loan_amount, loan.interest_rate) == (money(amount), money(rate))
        assert (loan.tenure, loan.emis_paid_on_time, loan.start_date) == (
            tenure,
            on_time,
            start.date(),
        )
        assert loan.monthly_installment == money(payment)
        assert loan.end_date == end.date()
    assert current_debt_drift() == 0


def test_committed_samples_load():
    result = run_ingestion(REPO / "data" / "customer_data.xlsx", REPO / "data" / "loan_data.xlsx")
    assert result.customers_inserted == 300 and result.loans_inserted == 800
    # What the Celery task returns (JSON): every count, the same as the run's record.
    run = IngestionRun.objects.get(pk=result.run_id)
    assert json.loads(json.dumps(result.as_dict())) == {
        "run_id": run.pk,
        "rows_read": 1100,
        "customer_rows": 300,
        "loan_rows": 800,
        "customers_inserted": 300,
        "customers_updated": 0,
        "loans_inserted": 800,
        "loans_updated": 0,
        "ids_remapped": run.ids_remapped,
        "rows_inserted": 1100,
        "rows_updated": 0,
    }
    assert (run.rows_read, run.rows_inserted, run.rows_updated) == (1100, 1100, 0)
    assert run.ids_remapped == Loan.objects.exclude(loan_id=F("source_loan_id")).count()
