"""Tables `customers` and `loans`, and read-only models over the analysts' credit views.

Every rule of the data model (README, "Data model") is a named database constraint here or in
migrations_sql/ (the end-date rule and the foreign key, which Django cannot express), so the
database guards its invariants whoever writes to it.
"""

from __future__ import annotations

from decimal import Decimal

import pgtrigger
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now

from core.sqlfiles import read_sql

PHONE_PATTERN = r"^[1-9][0-9]{9,14}$"
# The bounds of the data, each stated once: the models' columns and CHECK constraints, the
# API's serializers and the ingestion's cell rules (ingestion/columns.py) all read these.
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


class Repayment(models.Model):
    """One recorded payment of a loan: the ledger behind statements and repayment points.

    Append-only: a payment, once recorded, is never changed or removed (the triggers refuse
    UPDATE, DELETE and TRUNCATE to everyone); a correction is a new row in a future version.
    """

    repayment_id = models.BigAutoField(primary_key=True, db_comment="Payment number (identity).")
    # The foreign key itself (ON DELETE RESTRICT) is created by migrations_sql, named.
    loan = models.ForeignKey(
        Loan,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="repayments",
        db_comment="The loan paid (loans.loan_id); a loan with payments cannot be deleted.",
    )
    installment_number = models.SmallIntegerField(
        db_comment="The installment this payment settled, 1..tenure; each at most once per loan."
    )
    paid_on = models.DateField(
        db_comment="Date the customer paid: not in the future, not before the loan's start or"
        " its previous payment."
    )
    amount = models.DecimalField(**MONEY, db_comment="Amount paid, > 0: interest + principal.")
    installment_due = models.DecimalField(
        **MONEY,
        db_comment="What the installment asked for when paid: the EMI, or the payoff amount"
        " when less or on the last installment.",
    )
    interest = models.DecimalField(
        **MONEY,
        db_comment="Interest part: balance before x annual rate / 1200, rounded to 0.01 half up.",
    )
    principal = models.DecimalField(
        **MONEY, db_comment="Principal part: amount - interest; lowers the balance."
    )
    balance_after = models.DecimalField(
        **MONEY, db_comment="Outstanding principal after this payment; 0.00 = paid off."
    )
    emi_before = models.DecimalField(
        **MONEY, db_comment="The loan's monthly_installment in force when the payment came."
    )
    emi_after = models.DecimalField(
        **MONEY,
        db_comment="monthly_installment from the next installment on: recalculated over the"
        " installments left when the amount differed from installment_due.",
    )
    on_time = models.BooleanField(
        db_comment="paid_on <= the installment's due date and amount >= installment_due."
    )
    created_at = models.DateTimeField(
        db_default=Now(), db_comment="When the payment was recorded (transaction time)."
    )
    request_id = models.CharField(  # noqa: DJ001 - null: no request (not an empty id)
        max_length=64,
        null=True,
        blank=True,
        db_comment="X-Request-ID of the API request that recorded it; null outside the API.",
    )

    class Meta:
        db_table = "repayments"
        db_table_comment = (
            "Recorded loan payments, one per installment settled; append-only (no UPDATE,"
            " DELETE or TRUNCATE)."
        )
        ordering = ["loan_id", "installment_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "installment_number"], name="repayments_loan_installment_unique"
            ),
            # A loan is paid off at most once: after the payoff it takes no payment.
            models.UniqueConstraint(
                fields=["loan"],
                condition=Q(balance_after=0),
                name="repayments_one_payoff_per_loan",
            ),
            models.CheckConstraint(
                condition=Q(installment_number__gte=1, installment_number__lte=MAX_TENURE_MONTHS),
                name="repayments_installment_number_range",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="repayments_amount_positive"),
            models.CheckConstraint(
                condition=Q(installment_due__gt=0), name="repayments_installment_due_positive"
            ),
            models.CheckConstraint(
                condition=Q(interest__gte=0, principal__gte=0),
                name="repayments_parts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount=F("interest") + F("principal")),
                name="repayments_amount_is_interest_plus_principal",
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="repayments_balance_after_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(emi_before__gt=0, emi_after__gt=0), name="repayments_emis_positive"
            ),
            models.CheckConstraint(
                condition=Q(on_time=False) | Q(amount__gte=F("installment_due")),
                name="repayments_on_time_pays_in_full",
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="repayments_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
            pgtrigger.Trigger(
                name="repayments_refuse_truncate",
                level=pgtrigger.Statement,
                when=pgtrigger.Before,
                operation=pgtrigger.Truncate,
                func=_trigger_body("repayments_refuse_truncate"),
            ),
        ]

    def __str__(self) -> str:
        return f"Payment #{self.repayment_id} of loan #{self.loan_id}"


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
    result = models.JSONField(
        null=True,
        blank=True,
        db_comment="What a succeeded run did (its task's result, as ingest_data --wait reports "
        "it): run_id, rows_read, customer_rows and loan_rows (data rows of each file), "
        "customers_ and loans_inserted and _updated, rows_inserted, rows_updated, ids_remapped; "
        "null unless succeeded.",
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
            models.CheckConstraint(
                condition=~Q(status=IngestionStatus.SUCCEEDED) | Q(result__isnull=False),
                name="ingestion_runs_succeeded_has_result",
            ),
        ]

    def __str__(self) -> str:
        return f"Ingestion run #{self.id} ({self.status})"


# An Idempotency-Key: 1-255 visible ASCII characters (no spaces or control characters).
IDEMPOTENCY_KEY_CHARACTERS = "!-~"
IDEMPOTENCY_KEY_MAX_LENGTH = 255
IDEMPOTENCY_KEY_PATTERN = rf"^[{IDEMPOTENCY_KEY_CHARACTERS}]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}$"


class IdempotencyKey(models.Model):
    """The first successful answer to a state-changing POST, stored under the client's key in
    the same transaction as the effect (core/services/idempotency.py), until it expires."""

    id = models.BigAutoField(primary_key=True, db_comment="Row number.")
    scope = models.CharField(
        max_length=80,
        db_comment="Whose key it is: 'api-key:<prefix>' of the verified API key when keys are "
        "required, else 'shared' (one scope for every client).",
    )
    key = models.CharField(
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        db_comment="The Idempotency-Key header as sent: 1-255 visible ASCII characters.",
    )
    fingerprint = models.CharField(
        max_length=64,
        db_comment="SHA-256 (hex) of method, path and canonical JSON body of the first request; "
        "a retry with another fingerprint is refused (422 idempotency_key_reused).",
    )
    method = models.CharField(max_length=10, db_comment="HTTP method of the first request.")
    path = models.CharField(
        max_length=200, db_comment="Path of the first request, without a trailing slash."
    )
    response_status = models.SmallIntegerField(
        db_comment="HTTP status of the stored answer (2xx only: failures are never stored)."
    )
    response_content_type = models.CharField(
        max_length=100, db_comment="Content-Type of the stored answer."
    )
    response_body = models.BinaryField(
        db_comment="Body of the stored answer, byte for byte as first sent."
    )
    created_at = models.DateTimeField(
        db_default=Now(), db_comment="When the effect and this row were committed."
    )
    expires_at = models.DateTimeField(
        db_comment="From this moment the key is forgotten (IDEMPOTENCY_TTL after created_at); "
        "a daily task deletes expired rows."
    )

    class Meta:
        db_table = "idempotency_keys"
        db_table_comment = (
            "Idempotency keys of state-changing POSTs: the request's fingerprint and its first "
            "successful answer, replayed to retries until expires_at."
        )
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key"], name="idempotency_keys_scope_key_unique"
            ),
            models.CheckConstraint(
                condition=Q(key__regex=IDEMPOTENCY_KEY_PATTERN), name="idempotency_keys_key_format"
            ),
            models.CheckConstraint(
                condition=Q(fingerprint__regex=r"^[0-9a-f]{64}$"),
                name="idempotency_keys_fingerprint_sha256",
            ),
            models.CheckConstraint(
                condition=Q(response_status__gte=200, response_status__lte=299),
                name="idempotency_keys_response_status_2xx",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="idempotency_keys_expires_after_created",
            ),
        ]
        indexes = [
            # The daily purge of expired keys.
            models.Index(fields=["expires_at"], name="idempotency_keys_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"Idempotency key {self.key!r} ({self.scope})"


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
