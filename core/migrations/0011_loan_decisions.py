"""The decision log: table loan_decisions, its constraints and its append-only trigger."""

import django.contrib.postgres.indexes
import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

from core.sqlfiles import run_sql_files


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0010_idempotency_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="LoanDecision",
            fields=[
                (
                    "decision_id",
                    models.BigAutoField(
                        db_comment="Decision number (identity).", primary_key=True, serialize=False
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("check", "Check"), ("create", "Create")],
                        db_comment="check (POST /check-eligibility) or create (POST /create-loan).",
                        max_length=6,
                    ),
                ),
                (
                    "decided_at",
                    models.DateTimeField(
                        db_comment="When the decision was made: the time of the statement that wrote it.",
                        db_default=models.Func(
                            function="statement_timestamp", output_field=models.DateTimeField()
                        ),
                    ),
                ),
                (
                    "loan_amount",
                    models.DecimalField(
                        db_comment="Requested principal, > 0.", decimal_places=2, max_digits=14
                    ),
                ),
                (
                    "interest_rate",
                    models.DecimalField(
                        db_comment="Requested annual interest rate in percent, 0-100.",
                        decimal_places=2,
                        max_digits=5,
                    ),
                ),
                (
                    "tenure",
                    models.SmallIntegerField(
                        db_comment="Requested number of monthly installments."
                    ),
                ),
                (
                    "credit_score",
                    models.SmallIntegerField(
                        db_comment="The customer's credit score (customer_credit_scores) when decided, 0-100."
                    ),
                ),
                (
                    "repayment_points",
                    models.DecimalField(
                        db_comment="Repayment component of the score as the view computed it.",
                        decimal_places=20,
                        max_digits=30,
                    ),
                ),
                (
                    "history_points",
                    models.DecimalField(
                        db_comment="History component of the score as the view computed it.",
                        decimal_places=20,
                        max_digits=30,
                    ),
                ),
                (
                    "activity_points",
                    models.DecimalField(
                        db_comment="Activity component of the score as the view computed it.",
                        decimal_places=20,
                        max_digits=30,
                    ),
                ),
                (
                    "volume_points",
                    models.DecimalField(
                        db_comment="Volume component of the score as the view computed it.",
                        decimal_places=20,
                        max_digits=30,
                    ),
                ),
                (
                    "slab",
                    models.CharField(
                        db_comment="Label of the score slab that applied (e.g. '30-50').",
                        max_length=20,
                    ),
                ),
                (
                    "corrected_interest_rate",
                    models.DecimalField(
                        db_comment="The rate decided on: the requested one, or the slab minimum when below it.",
                        decimal_places=2,
                        max_digits=5,
                    ),
                ),
                (
                    "monthly_installment",
                    models.DecimalField(
                        db_comment="EMI of the requested loan at corrected_interest_rate.",
                        decimal_places=2,
                        max_digits=20,
                    ),
                ),
                (
                    "current_emis",
                    models.DecimalField(
                        db_comment="Sum of the EMIs of the customer's active loans when decided.",
                        decimal_places=2,
                        max_digits=20,
                    ),
                ),
                (
                    "monthly_salary",
                    models.DecimalField(
                        db_comment="The customer's monthly salary when decided.",
                        decimal_places=2,
                        max_digits=14,
                    ),
                ),
                (
                    "current_debt",
                    models.DecimalField(
                        db_comment="The customer's current debt when decided.",
                        decimal_places=2,
                        max_digits=14,
                    ),
                ),
                (
                    "approved_limit",
                    models.DecimalField(
                        db_comment="The customer's approved limit when decided.",
                        decimal_places=2,
                        max_digits=14,
                    ),
                ),
                ("approved", models.BooleanField(db_comment="True when every rule passed.")),
                (
                    "reasons",
                    models.JSONField(
                        db_comment="The failed rules as the API answered them: [{rule, message}]; [] if approved."
                    ),
                ),
                (
                    "message",
                    models.TextField(
                        db_comment="The sentence the API answered (with the offer's)."
                    ),
                ),
                (
                    "offer_interest_rate",
                    models.DecimalField(
                        blank=True,
                        db_comment="Rate of the counter-offer (corrected_interest_rate); null without an offer.",
                        decimal_places=2,
                        max_digits=5,
                        null=True,
                    ),
                ),
                (
                    "offer_loan_amount",
                    models.DecimalField(
                        blank=True,
                        db_comment="Counter-offer: the largest amount approved at the requested tenure.",
                        decimal_places=2,
                        max_digits=14,
                        null=True,
                    ),
                ),
                (
                    "offer_monthly_installment",
                    models.DecimalField(
                        blank=True,
                        db_comment="EMI of offer_loan_amount over the requested tenure at offer_interest_rate.",
                        decimal_places=2,
                        max_digits=20,
                        null=True,
                    ),
                ),
                (
                    "offer_tenure",
                    models.SmallIntegerField(
                        blank=True,
                        db_comment="Counter-offer: the shortest tenure (<= 600) approving the requested amount.",
                        null=True,
                    ),
                ),
                (
                    "offer_tenure_monthly_installment",
                    models.DecimalField(
                        blank=True,
                        db_comment="EMI of the requested amount over offer_tenure at offer_interest_rate.",
                        decimal_places=2,
                        max_digits=20,
                        null=True,
                    ),
                ),
                (
                    "loan_id",
                    models.BigIntegerField(
                        blank=True,
                        db_comment="The loan an approved create made (loans.loan_id); null otherwise.",
                        null=True,
                    ),
                ),
                (
                    "request_id",
                    models.CharField(
                        blank=True,
                        db_comment="The HTTP request id (X-Request-ID) that asked; operational data.",
                        max_length=64,
                        null=True,
                    ),
                ),
                (
                    "api_key_name",
                    models.CharField(
                        blank=True,
                        db_comment="Name of the API key that asked, when keys are required; operational data.",
                        max_length=50,
                        null=True,
                    ),
                ),
                (
                    "policy_version",
                    models.CharField(
                        db_comment="The rule set that decided (score view version, slabs, EMI share of salary).",
                        max_length=64,
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        db_comment="The customer asked about (customers.customer_id).",
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="decisions",
                        to="core.customer",
                    ),
                ),
            ],
            options={
                "db_table": "loan_decisions",
                "db_table_comment": "Decision log, append-only: every answered check-eligibility and create-loan request with the numbers that decided it.",
                "ordering": ["decision_id"],
                "indexes": [
                    models.Index(
                        fields=["customer", "decision_id"], name="loan_decisions_customer_idx"
                    ),
                    django.contrib.postgres.indexes.BrinIndex(
                        fields=["decided_at"], name="loan_decisions_decided_at_brin"
                    ),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("kind__in", ["check", "create"])),
                        name="loan_decisions_kind_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("loan_amount__gt", 0)),
                        name="loan_decisions_loan_amount_positive",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("interest_rate__gte", 0),
                            ("interest_rate__lte", 100),
                            ("corrected_interest_rate__gte", models.F("interest_rate")),
                            ("corrected_interest_rate__lte", 100),
                        ),
                        name="loan_decisions_rates_range",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("tenure__gte", 1), ("tenure__lte", 600)),
                        name="loan_decisions_tenure_range",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("credit_score__gte", 0), ("credit_score__lte", 100)),
                        name="loan_decisions_credit_score_range",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("approved", True), ("reasons", [])),
                            models.Q(("approved", False), models.Q(("reasons", []), _negated=True)),
                            _connector="OR",
                        ),
                        name="loan_decisions_approved_iff_no_reasons",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("approved", True), ("kind", "create"), ("loan_id__isnull", False)
                            ),
                            models.Q(
                                models.Q(("approved", True), ("kind", "create"), _negated=True),
                                ("loan_id__isnull", True),
                            ),
                            _connector="OR",
                        ),
                        name="loan_decisions_loan_iff_approved_create",
                    ),
                    models.UniqueConstraint(
                        fields=("loan_id",), name="loan_decisions_loan_id_unique"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("offer_interest_rate__isnull", True),
                            models.Q(
                                ("approved", False),
                                ("offer_interest_rate", models.F("corrected_interest_rate")),
                            ),
                            _connector="OR",
                        ),
                        name="loan_decisions_offer_only_on_decline",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("offer_loan_amount__isnull", True),
                                ("offer_monthly_installment__isnull", True),
                            ),
                            models.Q(
                                ("offer_interest_rate__isnull", False),
                                ("offer_loan_amount__gt", 0),
                                ("offer_loan_amount__lt", models.F("loan_amount")),
                                ("offer_monthly_installment__gt", 0),
                            ),
                            _connector="OR",
                        ),
                        name="loan_decisions_offer_amount_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("offer_tenure__isnull", True),
                                ("offer_tenure_monthly_installment__isnull", True),
                            ),
                            models.Q(
                                ("offer_interest_rate__isnull", False),
                                ("offer_tenure__gt", models.F("tenure")),
                                ("offer_tenure__lte", 600),
                                ("offer_tenure_monthly_installment__gt", 0),
                            ),
                            _connector="OR",
                        ),
                        name="loan_decisions_offer_tenure_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("offer_interest_rate__isnull", True),
                            ("offer_loan_amount__isnull", False),
                            ("offer_tenure__isnull", False),
                            _connector="OR",
                        ),
                        name="loan_decisions_offer_not_empty",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("policy_version__regex", "^\\s*$"), _negated=True),
                        name="loan_decisions_policy_version_not_blank",
                    ),
                ],
            },
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="loandecision",
            trigger=pgtrigger.compiler.Trigger(
                name="loan_decisions_append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="/* Body of the BEFORE UPDATE OR DELETE OR TRUNCATE statement trigger on loan_decisions (declared\n   in core/models.py). The decision log is a record of what was decided and why: rows are only\n   ever added. Retention goes through `manage.py prune_decisions`, which alone passes this\n   trigger (django-pgtrigger's ignore mechanism). */\nRAISE EXCEPTION 'loan_decisions is append-only: % is refused', TG_OP\n  USING ERRCODE = 'restrict_violation',\n        HINT = 'Old decisions leave only through: python manage.py prune_decisions --older-than DAYS';\n",
                    hash="ab99df5455ec92afe9ed3a1ff470d1ad0b59f394",
                    level="STATEMENT",
                    operation="UPDATE OR DELETE OR TRUNCATE",
                    pgid="pgtrigger_loan_decisions_append_only_bef86",
                    table="loan_decisions",
                    when="BEFORE",
                ),
            ),
        ),
        run_sql_files(
            forward=["migrations_sql/0011_loan_decisions.up.sql"],
            reverse=["migrations_sql/0011_loan_decisions.down.sql"],
        ),
    ]
