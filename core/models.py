"""Tables `customers` and `loans`, and read-only models over the analysts' credit views.

Every rule of the data model (README, "Data model") is a named database constraint here or in
migrations_sql/ (the end-date rule and the foreign key, which Django cannot express), so the
database guards its invariants whoever writes to it.
"""

from __future__ import annotations

from decimal import Decimal

import pgtrigger
from django.db import models
from django.db.models import F, Q

from core.sqlfiles import read_sql

PHONE_PATTERN = r"^[1-9][0-9]{9,14}$"
# The bounds of the data, each stated once: the models' columns and CHECK constraints, the
# API's serializers and the ingestion's cell rules (ingestion/validate.py) all read these.
MONEY = {"max_digits": 14, "decimal_places": 2}
MAX_MONEY = Decimal("999999999999.99")  # the largest value numeric(14,2) holds
RATE = {"max_digits": 5, "decimal_places": 2}
MIN_RATE, MAX_RATE = Decimal("0"), Decimal("100")  # percent a year
MIN_AGE, MAX_AGE = 18, 100
NAME_MAX_LENGTH = 100
MAX_TENURE_MONTHS = 600
# The largest id a file may bring (Customer ID, Loan ID). The service's own ids (POST
# /register, POST /create-loan, fresh ids of remapped loans) come from the identity sequences,
# which start one past it (migrations_sql/0007_service_ids.up.sql; a test keeps the two
# equal), so an id a file brings never clashes with one the service gave, whatever the order.
MAX_FILE_ID = 999_999_999
FIRST_SERVICE_ID = MAX_FILE_ID + 1


def _trigger_body(name: str) -> str:
    return read_sql(f"migrations_sql/triggers/{name}.sql")


class Customer(models.Model):
    customer_id = models.BigAutoField(
        primary_key=True,
        db_comment=(
            "Customer number: a file's Customer ID (1-999999999) as given, or from the identity"
            " sequence (from 1000000000 on) for customers registered through the API."
        ),
    )
    first_name = models.CharField(max_length=NAME_MAX_LENGTH, db_comment="Given name, non-blank.")
    last_name = models.CharField(max_length=NAME_MAX_LENGTH, db_comment="Family name, non-blank.")
    phone_number = models.CharField(
        max_length=15, db_comment="Digits only, 10-15, first digit non-zero; unique."
    )
    age = models.SmallIntegerField(db_comment="Age in years, 18-100.")
    monthly_salary = models.DecimalField(**MONEY, db_comment="Monthly income, > 0.")
    approved_limit = models.DecimalField(
        **MONEY,
        db_comment=(
            "Credit limit: 36 x monthly salary rounded to the nearest lakh at registration;"
            " as given for loaded customers."
        ),
    )
    # Written by the loans triggers only (a guard trigger refuses any other writer).
    current_debt = models.DecimalField(
        **MONEY,
        default=0,
        db_default=0,
        db_comment="Sum of loan_amount over active loans; written by the loans triggers only.",
    )

    class Meta:
        db_table = "customers"
        db_table_comment = "Borrowers: registered through the API or loaded from the customer file."
        ordering = ["customer_id"]
        constraints = [
            models.UniqueConstraint(fields=["phone_number"], name="customers_phone_number_unique"),
            models.CheckConstraint(
                condition=~Q(first_name__regex=r"^\s*$"), name="customers_first_name_not_blank"
            ),
            models.CheckConstraint(
                condition=~Q(last_name__regex=r"^\s*$"), name="customers_last_name_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(phone_number__regex=PHONE_PATTERN), name="customers_phone_number_format"
            ),
            models.CheckConstraint(
                condition=Q(age__gte=MIN_AGE, age__lte=MAX_AGE), name="customers_age_range"
            ),
            models.CheckConstraint(
                condition=Q(monthly_salary__gt=0), name="customers_monthly_salary_positive"
            ),
            models.CheckConstraint(
                condition=Q(approved_limit__gte=0), name="customers_approved_limit_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(current_debt__gte=0), name="customers_current_debt_non_negative"
            ),
        ]
        triggers = [
            # Fired only by a write of current_debt that no trigger made (pg_trigger_depth() 0
            # in a WHEN clause): the loans triggers' own updates and the upserts of customers
            # by the ingestion never call the function (100,000s of calls per bulk load).
            pgtrigger.Trigger(
                name="customers_current_debt_guard",
                level=pgtrigger.Row,
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    "OLD.current_debt IS DISTINCT FROM NEW.current_debt AND pg_trigger_depth() < 1"
                ),
                func=_trigger_body("customers_current_debt_guard"),
            ),
            pgtrigger.Trigger(
                name="customers_current_debt_guard_insert",
                level=pgtrigger.Row,
                when=pgtrigger.Before,
                operation=pgtrigger.Insert,
                condition=pgtrigger.Condition(
                    "NEW.current_debt IS DISTINCT FROM 0 AND pg_trigger_depth() < 1"
                ),
                func=_trigger_body("customers_current_debt_guard"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} (#{self.customer_id})"


class Loan(models.Model):
    loan_id = models.BigAutoField(
        primary_key=True,
        db_comment=(
            "Loan number: a file's Loan ID (1-999999999) when free, else from the identity"
            " sequence (from 1000000000 on), as for loans made through the API."
        ),
    )
    # The foreign key itself (ON DELETE RESTRICT, not deferred) is created by migrations_sql.
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="loans",
        db_comment=(
            "The borrower (customers.customer_id); deleting a customer with loans is refused."
        ),
    )
    source_loan_id = models.BigIntegerField(
        null=True,
        blank=True,
        db_comment="Loan ID in the loan spreadsheet; null for loans made through the API.",
    )
    loan_amount = models.DecimalField(**MONEY, db_comment="Principal, > 0.")
    interest_rate = models.DecimalField(
        **RATE, db_comment="Annual interest rate in percent, 0-100."
    )
    tenure = models.SmallIntegerField(db_comment="Number of monthly installments, 1-600.")
    monthly_installment = models.DecimalField(**MONEY, db_comment="EMI: the monthly payment, > 0.")
    emis_paid_on_time = models.SmallIntegerField(
        default=0, db_comment="Installments paid on time, 0..tenure."
    )
    start_date = models.DateField(db_comment="Date of approval.")
    end_date = models.DateField(
        db_comment="start_date + tenure months, month-end clamped: the last installment."
    )
    is_active = models.BooleanField(
        db_comment=(
            "True while installments remain (end_date > today);"
            " the daily sweep closes matured loans."
        )
    )

    class Meta:
        db_table = "loans"
        db_table_comment = "Loans: approved through the API or loaded from the loan file."
        ordering = ["loan_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "source_loan_id"], name="loans_customer_source_loan_unique"
            ),
            models.CheckConstraint(
                condition=Q(loan_amount__gt=0), name="loans_loan_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(interest_rate__gte=MIN_RATE, interest_rate__lte=MAX_RATE),
                name="loans_interest_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(tenure__gte=1, tenure__lte=MAX_TENURE_MONTHS),
                name="loans_tenure_range",
            ),
            models.CheckConstraint(
                condition=Q(monthly_installment__gt=0), name="loans_monthly_installment_positive"
            ),
            models.CheckConstraint(
                condition=Q(emis_paid_on_time__gte=0, emis_paid_on_time__lte=F("tenure")),
                name="loans_emis_paid_on_time_range",
            ),
        ]
        indexes = [
            # view-loans and current_emis: a customer's active loans in loan_id order.
            models.Index(
                fields=["customer", "loan_id"],
                condition=Q(is_active=True),
                name="loans_active_by_customer_idx",
            ),
            # The maturity sweep: active loans whose end_date has come.
            models.Index(
                fields=["end_date"], condition=Q(is_active=True), name="loans_active_end_date_idx"
            ),
        ]
        triggers = [
            # Statement-level triggers with transition tables: one UPDATE of customers per
            # statement, whatever the number of rows, adding each statement's delta.
            pgtrigger.Trigger(
                name="loans_current_debt_insert",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                referencing=pgtrigger.Referencing(new="new_rows"),
                func=_trigger_body("loans_current_debt_insert"),
            ),
            pgtrigger.Trigger(
                name="loans_current_debt_update",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Update,
                referencing=pgtrigger.Referencing(old="old_rows", new="new_rows"),
                func=_trigger_body("loans_current_debt_update"),
            ),
            pgtrigger.Trigger(
                name="loans_current_debt_delete",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Delete,
                referencing=pgtrigger.Referencing(old="old_rows"),
                func=_trigger_body("loans_current_debt_delete"),
            ),
            pgtrigger.Trigger(
                name="loans_refuse_truncate",
                level=pgtrigger.Statement,
                when=pgtrigger.Before,
                operation=pgtrigger.Truncate,
                func=_trigger_body("loans_refuse_truncate"),
            ),
        ]

    def __str__(self) -> str:
        return f"Loan #{self.loan_id} of customer #{self.customer_id}"


class CustomerCreditFeatures(models.Model):
    """Read-only: the `customer_credit_features` view (sql/customer_credit_features_v1.sql)."""

    customer = models.OneToOneField(
        Customer,
        primary_key=True,
        db_column="customer_id",
        on_delete=models.DO_NOTHING,
        related_name="credit_features",
    )
    loans_taken = models.IntegerField()
    loans_active = models.IntegerField()
    emis_due = models.IntegerField()
    emis_paid_on_time = models.IntegerField()
    on_time_ratio = models.DecimalField(max_digits=30, decimal_places=20, null=True)
    loans_this_year = models.IntegerField()
    approved_volume = models.DecimalField(max_digits=20, decimal_places=2)
    current_debt = models.DecimalField(**MONEY)
    current_emis = models.DecimalField(max_digits=20, decimal_places=2)
    approved_limit = models.DecimalField(**MONEY)
    monthly_salary = models.DecimalField(**MONEY)

    class Meta:
        managed = False
        db_table = "customer_credit_features"

    def __str__(self) -> str:
        return f"Credit features of customer #{self.pk}"


class CustomerCreditScore(models.Model):
    """Read-only: the `customer_credit_scores` view (sql/customer_credit_scores_v1.sql)."""

    features = models.OneToOneField(
        CustomerCreditFeatures,
        primary_key=True,
        db_column="customer_id",
        on_delete=models.DO_NOTHING,
        related_name="score",
    )
    repayment_points = models.DecimalField(max_digits=30, decimal_places=20)
    history_points = models.DecimalField(max_digits=30, decimal_places=20)
    activity_points = models.DecimalField(max_digits=30, decimal_places=20)
    volume_points = models.DecimalField(max_digits=30, decimal_places=20)
    credit_score = models.IntegerField()

    class Meta:
        managed = False
        db_table = "customer_credit_scores"

    def __str__(self) -> str:
        return f"Credit score {self.credit_score} of customer #{self.pk}"


class IngestionStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class IngestionRun(models.Model):
    """One row per run of the spreadsheet ingestion (manage.py ingest_data), for operators."""

    Status = IngestionStatus

    id = models.BigAutoField(primary_key=True, db_comment="Run number.")
    task_id = models.CharField(
        max_length=255,
        unique=True,
        null=True,
        blank=True,
        db_comment="Celery task id of the run; null when the service was called directly.",
    )
    customers_file = models.TextField(db_comment="Absolute path of the customer workbook read.")
    loans_file = models.TextField(db_comment="Absolute path of the loan workbook read.")
    status = models.CharField(
        max_length=10,
        choices=IngestionStatus.choices,
        default=IngestionStatus.QUEUED,
        db_comment="queued (sent to the broker), running, succeeded or failed.",
    )
    queued_at = models.DateTimeField(
        auto_now_add=True, db_comment="When the run was recorded (enqueued or started)."
    )
    started_at = models.DateTimeField(
        null=True, blank=True, db_comment="When a worker started the run; null while queued."
    )
    finished_at = models.DateTimeField(
        null=True, blank=True, db_comment="When the run succeeded or failed; null until then."
    )
    rows_read = models.PositiveIntegerField(
        default=0, db_comment="Non-empty data rows read from both files."
    )
    rows_inserted = models.PositiveIntegerField(
        default=0, db_comment="Customers and loans inserted."
    )
    rows_updated = models.PositiveIntegerField(
        default=0, db_comment="Existing customers and loans whose values changed."
    )
    ids_remapped = models.PositiveIntegerField(
        default=0,
        db_comment="New loans whose file Loan ID was taken, so they got a fresh loan_id.",
    )
    files_digest = models.CharField(  # noqa: DJ001 (null: no digest was taken)
        max_length=64,
        null=True,
        blank=True,
        db_comment="SHA-256 of the customer file's bytes followed by the loan file's, taken when "
        "the run was enqueued (null for runs started without manage.py ingest_data): tells a "
        "rerun of the same files from one of changed files.",
    )
    error_report = models.JSONField(
        null=True,
        blank=True,
        db_comment="Why a failed run failed: message, total problem count, the first 100 "
        "problems (file, row as Excel shows it, column, value, reason), refused (true when "
        "the files themselves were refused, so the same files fail again) and abandoned (true "
        "when its worker died mid-run).",
    )
    attempts = models.PositiveSmallIntegerField(
        default=0,
        db_comment="Times a worker started this run: more than 1 when its task was delivered "
        "again after a worker died running it; the run gives up past a bound (runs.py).",
    )

    class Meta:
        db_table = "ingestion_runs"
        db_table_comment = (
            "Runs of the spreadsheet ingestion: files, outcome, counts, error report."
        )
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=IngestionStatus.values),
                name="ingestion_runs_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Ingestion run #{self.id} ({self.status})"
