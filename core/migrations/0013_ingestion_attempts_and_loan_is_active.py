"""ingestion_runs.attempts (deliveries of a run's task: runs.MAX_ATTEMPTS) and loan_is_active(),
the one rule for an active loan (sql/loan_is_active_v1.sql), and the view customer_active_debt,
the one sum of a customer's active loans (sql/customer_active_debt_v1.sql)."""

from django.db import migrations, models

from core.sqlfiles import run_sql_files


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0012_decision_views"),
    ]

    operations = [
        migrations.AddField(
            model_name="ingestionrun",
            name="attempts",
            field=models.PositiveSmallIntegerField(
                db_comment="Times a worker started this run: more than 1 when its task was delivered again after a worker died running it; the run gives up past a bound (runs.py).",
                default=0,
            ),
        ),
        migrations.AlterField(
            model_name="ingestionrun",
            name="error_report",
            field=models.JSONField(
                blank=True,
                db_comment="Why a failed run failed: message, total problem count, the first 100 problems (file, row as Excel shows it, column, value, reason), refused (true when the files themselves were refused, so the same files fail again) and abandoned (true when its worker died mid-run).",
                null=True,
            ),
        ),
        run_sql_files(
            forward=["sql/loan_is_active_v1.sql", "sql/customer_active_debt_v1.sql"],
            reverse=["migrations_sql/0013_loan_is_active.down.sql"],
        ),
    ]
