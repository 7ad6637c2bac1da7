"""Tables `customers` and `loans`, and read-only models over the analysts' credit views.

Every rule of SPEC §3 is a named database constraint here or in migrations_sql/ (the end-date
rule and the foreign key, which Django cannot express), so the database guards its invariants
whoever writes to it.
"""

from __future__ import annotations

import pgtrigger
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import F, Q

from core.sqlfiles import read_sql

PHONE_PATTERN = r"^[1-9][0-9]{9,14}$"
MONEY = {"max_digits": 14, "decimal_places": 2}
RATE = {"max_digits": 5, "decimal_places": 2}
MAX_TENURE_MONTHS = 600


def _trigger_body(name: str) -> str:
    return read_sql(f"migrations_sql/triggers/{name}.sql")


class Customer(models.Model):
    customer_id = models.BigAutoField(
        primary_key=True, db_comment="Customer number (identity; file ids are kept)."
    )
    first_name = models.CharField(max_length=100, db_comment="Given name, non-blank.")
    last_name = models.CharField(max_length=100, db_comment="Family name, non-blank.")
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
                condition=Q(age__gte=18, age__lte=100), name="customers_age_range"
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
        primary_key=True, db_comment="Loan number (identity; a file Loan ID is kept when free)."
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
                condition=Q(interest_rate__gte=0, interest_rate__lte=100),
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
    """Read-only: the `customer_credit_scores` view (sql/customer_credit_scores_v2.sql)."""

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
    over_limit = models.BooleanField()

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
    error_report = models.JSONField(
        null=True,
        blank=True,
        db_comment="Why a failed run failed: message, total problem count and the first 100 "
        "problems (file, row as Excel shows it, column, value, reason).",
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


POINTS = {"max_digits": 30, "decimal_places": 20}
INSTALLMENT = {"max_digits": 20, "decimal_places": 2}


class DecisionKind(models.TextChoices):
    CHECK = "check"
    CREATE = "create"


class LoanDecision(models.Model):
    """The decision log: one row per answered check-eligibility and create-loan request.

    Append-only: the database refuses UPDATE, DELETE and TRUNCATE (trigger
    loan_decisions_append_only); `manage.py prune_decisions` is the one way rows leave. The
    foreign key to customers (ON DELETE RESTRICT, not deferred) and the jsonb shape check of
    `reasons` are created by migrations_sql.
    """

    Kind = DecisionKind

    decision_id = models.BigAutoField(primary_key=True, db_comment="Decision number (identity).")
    kind = models.CharField(
        max_length=6,
        choices=DecisionKind.choices,
        db_comment="check (POST /check-eligibility) or create (POST /create-loan).",
    )
    decided_at = models.DateTimeField(
        db_default=models.Func(function="statement_timestamp", output_field=models.DateTimeField()),
        db_comment="When the decision was made: the time of the statement that wrote it.",
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="decisions",
        db_comment="The customer asked about (customers.customer_id).",
    )
    loan_amount = models.DecimalField(**MONEY, db_comment="Requested principal, > 0.")
    interest_rate = models.DecimalField(
        **RATE, db_comment="Requested annual interest rate in percent, 0-100."
    )
    tenure = models.SmallIntegerField(db_comment="Requested number of monthly installments.")
    credit_score = models.SmallIntegerField(
        db_comment="The customer's credit score (customer_credit_scores) when decided, 0-100."
    )
    repayment_points = models.DecimalField(
        **POINTS, db_comment="Repayment component of the score as the view computed it."
    )
    history_points = models.DecimalField(
        **POINTS, db_comment="History component of the score as the view computed it."
    )
    activity_points = models.DecimalField(
        **POINTS, db_comment="Activity component of the score as the view computed it."
    )
    volume_points = models.DecimalField(
        **POINTS, db_comment="Volume component of the score as the view computed it."
    )
    slab = models.CharField(
        max_length=20, db_comment="Label of the score slab that applied (e.g. '30-50')."
    )
    corrected_interest_rate = models.DecimalField(
        **RATE,
        db_comment="The rate decided on: the requested one, or the slab minimum when below it.",
    )
    monthly_installment = models.DecimalField(
        **INSTALLMENT, db_comment="EMI of the requested loan at corrected_interest_rate."
    )
    current_emis = models.DecimalField(
        **INSTALLMENT, db_comment="Sum of the EMIs of the customer's active loans when decided."
    )
    monthly_salary = models.DecimalField(
        **MONEY, db_comment="The customer's monthly salary when decided."
    )
    current_debt = models.DecimalField(
        **MONEY, db_comment="The customer's current debt when decided."
    )
    approved_limit = models.DecimalField(
        **MONEY, db_comment="The customer's approved limit when decided."
    )
    approved = models.BooleanField(db_comment="True when every rule passed.")
    reasons = models.JSONField(
        db_comment="The failed rules as the API answered them: [{rule, message}]; [] if approved."
    )
    message = models.TextField(db_comment="The sentence the API answered (with the offer's).")
    offer_interest_rate = models.DecimalField(
        **RATE,
        null=True,
        blank=True,
        db_comment="Rate of the counter-offer (corrected_interest_rate); null without an offer.",
    )
    offer_loan_amount = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        db_comment="Counter-offer: the largest amount approved at the requested tenure.",
    )
    offer_monthly_installment = models.DecimalField(
        **INSTALLMENT,
        null=True,
        blank=True,
        db_comment="EMI of offer_loan_amount over the requested tenure at offer_interest_rate.",
    )
    offer_tenure = models.SmallIntegerField(
        null=True,
        blank=True,
        db_comment="Counter-offer: the shortest tenure (<= 600) approving the requested amount.",
    )
    offer_tenure_monthly_installment = models.DecimalField(
        **INSTALLMENT,
        null=True,
        blank=True,
        db_comment="EMI of the requested amount over offer_tenure at offer_interest_rate.",
    )
    loan_id = models.BigIntegerField(
        null=True,
        blank=True,
        db_comment="The loan an approved create made (loans.loan_id); null otherwise.",
    )
    # Null, not "": no HTTP request (a service called directly) / API keys not required.
    request_id = models.CharField(  # noqa: DJ001
        max_length=64,
        null=True,
        blank=True,
        db_comment="The HTTP request id (X-Request-ID) that asked; operational data.",
    )
    api_key_name = models.CharField(  # noqa: DJ001
        max_length=50,
        null=True,
        blank=True,
        db_comment="Name of the API key that asked, when keys are required; operational data.",
    )
    policy_version = models.CharField(
        max_length=64,
        db_comment="The rule set that decided (score view version, slabs, EMI share of salary).",
    )

    class Meta:
        db_table = "loan_decisions"
        db_table_comment = (
            "Decision log, append-only: every answered check-eligibility and create-loan request"
            " with the numbers that decided it."
        )
        ordering = ["decision_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DecisionKind.values), name="loan_decisions_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(loan_amount__gt=0), name="loan_decisions_loan_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(interest_rate__gte=0, interest_rate__lte=100)
                & Q(corrected_interest_rate__gte=F("interest_rate"))
                & Q(corrected_interest_rate__lte=100),
                name="loan_decisions_rates_range",
            ),
            models.CheckConstraint(
                condition=Q(tenure__gte=1, tenure__lte=MAX_TENURE_MONTHS),
                name="loan_decisions_tenure_range",
            ),
            models.CheckConstraint(
                condition=Q(credit_score__gte=0, credit_score__lte=100),
                name="loan_decisions_credit_score_range",
            ),
            # Approved exactly when no rule failed.
            models.CheckConstraint(
                condition=Q(approved=True, reasons=[]) | Q(approved=False) & ~Q(reasons=[]),
                name="loan_decisions_approved_iff_no_reasons",
            ),
            # A loan exactly for an approved create.
            models.CheckConstraint(
                condition=Q(kind=DecisionKind.CREATE, approved=True, loan_id__isnull=False)
                | ~Q(kind=DecisionKind.CREATE, approved=True) & Q(loan_id__isnull=True),
                name="loan_decisions_loan_iff_approved_create",
            ),
            models.UniqueConstraint(fields=["loan_id"], name="loan_decisions_loan_id_unique"),
            # An offer only on a decline, at one rate; each part with its installment.
            models.CheckConstraint(
                condition=Q(offer_interest_rate__isnull=True)
                | Q(approved=False, offer_interest_rate=F("corrected_interest_rate")),
                name="loan_decisions_offer_only_on_decline",
            ),
            models.CheckConstraint(
                condition=Q(
                    offer_loan_amount__isnull=True,
                    offer_monthly_installment__isnull=True,
                )
                | Q(
                    offer_interest_rate__isnull=False,
                    offer_loan_amount__gt=0,
                    offer_loan_amount__lt=F("loan_amount"),
                    offer_monthly_installment__gt=0,
                ),
                name="loan_decisions_offer_amount_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    offer_tenure__isnull=True,
                    offer_tenure_monthly_installment__isnull=True,
                )
                | Q(
                    offer_interest_rate__isnull=False,
                    offer_tenure__gt=F("tenure"),
                    offer_tenure__lte=MAX_TENURE_MONTHS,
                    offer_tenure_monthly_installment__gt=0,
                ),
                name="loan_decisions_offer_tenure_valid",
            ),
            models.CheckConstraint(
                condition=Q(offer_interest_rate__isnull=True)
                | Q(offer_loan_amount__isnull=False)
                | Q(offer_tenure__isnull=False),
                name="loan_decisions_offer_not_empty",
            ),
            models.CheckConstraint(
                condition=~Q(policy_version__regex=r"^\s*$"),
                name="loan_decisions_policy_version_not_blank",
            ),
        ]
        indexes = [
            # The latest decision of a customer (customer_latest_decision) and the foreign key.
            models.Index(fields=["customer", "decision_id"], name="loan_decisions_customer_idx"),
            # Day ranges (decision_outcomes_daily, prune_decisions): rows arrive in time order,
            # so a BRIN index is a few pages and costs the inserts next to nothing.
            BrinIndex(fields=["decided_at"], name="loan_decisions_decided_at_brin"),
        ]
        triggers = [
            # Statement level: refused even when no row matches, and for TRUNCATE too.
            pgtrigger.Trigger(
                name="loan_decisions_append_only",
                level=pgtrigger.Statement,
                when=pgtrigger.Before,
                operation=pgtrigger.Update | pgtrigger.Delete | pgtrigger.Truncate,
                func=_trigger_body("loan_decisions_append_only"),
            ),
        ]

    def __str__(self) -> str:
        return f"Decision #{self.decision_id} ({self.kind}) for customer #{self.customer_id}"
